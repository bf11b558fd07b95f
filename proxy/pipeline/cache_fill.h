#pragma once
// The tee of a fill: stores one origin response while it streams on to wherever it goes (a
// client, or nowhere for a background refresh). From the head it decides whether the response
// may be stored (if not because of the response, a hit-for-pass marker sends the URL's next
// requests straight to the origin), it copies the body up to max_object, and inserts the object
// at the end. A 304 is merged into the stale copy instead.
//
// Shared by CacheHandler (a client's fill) and BackgroundRefreshes (a refresh without a client).
// It knows nothing of coalescing, which only a client's fill takes part in: its callers tell
// the waiters. Counts what it decides (not_stored, too_large, revalidations, revalidated).

#include <memory>
#include <string>
#include <vector>

#include "cache/cached_object.h"
#include "cache/fill_stream.h"
#include "cache/freshness.h"
#include "cache/object_builder.h"
#include "proxy/http/message.h"
#include "proxy/pipeline/cache_policy.h"
#include "proxy/routing/router.h"

struct evbuffer;

namespace gatehouse::pipeline {

// 500, 502, 503, 504: the origin failing, which a stale copy in grace may cover (stale-if-error);
// never a reason to mark the URL hit-for-pass.
bool isServerError(int status);

// RFC 9111 §4.3.4: a 304 whose strong validator is not `stale`'s names another representation,
// so the stored body is not the current one and must be fetched whole.
bool namesAnotherRepresentation(const http::ResponseHead& not_modified,
                                const cache::CachedObject& stale);

class CacheFill {
 public:
  // `policy` and `route` outlive the fill.
  CacheFill(const CachePolicy& policy, const routing::Route& route);

  // The request for `key` goes to the origin now. `lookup_headers` (the request as looked up,
  // before forwarded fields and validators are added) key the stored variant; a purge after
  // this moment keeps the response out of the store.
  void begin(std::string key, const http::HeaderMap& lookup_headers);
  // Makes `request` conditional on `stale`'s validators, when it has any (counted).
  void revalidate(http::RequestHead& request, const cache::CachedObject& stale);
  // The response head came back (its time dates what is stored).
  void responded();
  // A 103 Early Hints before the head: its fields are kept with the object (a hit replays them,
  // cache.replay_early_hints).
  void noteEarlyHints(const http::HeaderMap& fields);

  // Starts storing the response to `request` (tags already taken from `head`; Set-Cookie
  // removed from `head` when the route strips it). False when it may not be stored (counted).
  bool startStoring(const http::RequestHead& request, http::ResponseHead& head,
                    std::vector<std::string> tags);
  bool storing() const { return object_ != nullptr; }
  // The body as it arrives, for the coalesced misses that follow this fill; while storing().
  // It ends Complete when store() is called, Failed when the fill is abandoned.
  const std::shared_ptr<cache::FillStream>& stream() const { return stream_; }
  // A body chunk, read without draining; only while storing(). False when the body outgrew
  // max_object: the fill gave up (counted) and storing() is false from then on.
  bool append(const evbuffer* data);
  // Inserts what was collected; only while storing(). True when the store took it.
  bool store();
  // Drops what was collected (the response was cut short): the stream's followers are cut too.
  void abandon();

  // A 304 for `stale`: the merged object, stored unless the 304's own directives forbid it
  // (then the URL's stored copy is dropped). Either way the client is answered from it.
  struct Merged {
    std::shared_ptr<const cache::CachedObject> object;
    bool stored = false;
  };
  Merged mergeNotModified(const cache::CachedObject& stale, const http::ResponseHead& head);
  // RFC 9111 §4.3.5: the answer to a HEAD request that `stored` (stale) would have answered:
  // its fields update the stored response when its validators and length match (stored as a
  // 304's merge is), and it is dropped when one differs. Counted (head_freshenings).
  void freshenByHead(const cache::CachedObject& stored, const http::ResponseHead& head);

 private:
  cache::FreshnessPolicy freshnessPolicy() const;
  cache::StalePermission stalePermission() const {
    return {policy_.config.grace.count() / 1000, policy_.config.stale_if_error.count() / 1000};
  }
  void markHitForPass();
  // Stores `refreshed` (a 304's or HEAD's merge) unless its own directives forbid it, in which
  // case the URL's stored copy goes. True when stored.
  bool storeRefreshed(const std::shared_ptr<const cache::CachedObject>& refreshed,
                      const cache::FreshnessPolicy& policy);

  const CachePolicy& policy_;
  const routing::Route& route_;
  cache::CacheStore& store_;
  std::string key_;
  http::HeaderMap lookup_headers_;
  uint64_t epoch_ = 0;  // the store's epoch when the request went out
  cache::FetchTiming timing_;
  http::HeaderMap early_hints_;  // the fields of the 103s seen so far
  // The response being stored while it streams; null when not storing (or given up).
  std::unique_ptr<cache::ObjectDraft> object_;
  std::shared_ptr<cache::FillStream> stream_;  // its body, shared as it grows
};

}  // namespace gatehouse::pipeline
