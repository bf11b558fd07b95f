#pragma once
// One stored response: immutable once built, shared by reference count. A hit copies the
// shared_ptr under the shard's lock and serves without it; a purge or eviction drops the
// store's reference only, so a response being sent keeps its bytes until it is done.
//
// Memory (issue 15): an object is one allocation holding the shared_ptr's control block, this
// header, the key, the field block (HTTP/1 wire form, validators pointing into it), its plan
// for HTTP/2 (three bytes a field) and the other texts, and a small body either in the same
// allocation or in one exact-sized block of its own, whichever the allocator's size classes make
// cheaper (a 1 KiB body fits its 1 KiB class exactly; with the head beside it, it would take a 1.5
// KiB one). A large body (above kPackedBodyMax) stays the fill's buffer, shared with the coalesced
// misses that streamed it and with the objects a 304 refreshes from it. The store's index and
// queues are links inside the object (StoreLinks), so storing costs no node of its own. `charge` is
// what the allocator really handed out for all of it.
//
// A fill builds an ObjectDraft (plain strings, mutable) and packs it with CachedObject::make.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/field_lines.h"
#include "proxy/http/http2_field_plan.h"

namespace gatehouse::cache {

// A body as a fill collects it: exactly its size (a std::string would allocate one more byte for
// its terminator, which bumps a 1 KiB body into the allocator's 1.25 KiB class).
using Body = std::vector<char>;

// Freshness and flags, in wall-clock seconds (RFC 9111 §4.2.3): what a draft and a stored object
// both carry.
struct ObjectTimes {
  int64_t response_time = 0;
  int64_t corrected_initial_age = 0;
  int64_t freshness_lifetime = 0;
  // Seconds past freshness (RFC 5861, measured from the moment it became stale) it may still be
  // served: while one refresh runs (stale-while-revalidate), or while the origin fails
  // (stale-if-error). 0: never; always 0 when a directive forbids serving stale (§4.2.4).
  uint32_t swr_window = 0;
  uint32_t sie_window = 0;
  int status = 200;
  // Fresh longer than the origin said, by read_only.min_ttl: dropped when read-only mode ends
  // (CacheStore::endReadOnly), so that the mode's lifetimes do not outlive it.
  bool read_only_extended = false;
  // A marker, not a response (Varnish's hit-for-miss): the last response for this URL was not
  // storable, so requests go straight to the origin instead of queueing behind one another.
  bool hit_for_pass = false;

  int64_t currentAge(int64_t now) const {
    return corrected_initial_age + (now > response_time ? now - response_time : 0);
  }
  // Seconds of freshness left; negative once stale (RFC 9211's ttl).
  int64_t ttl(int64_t now) const { return freshness_lifetime - currentAge(now); }
  bool isFresh(int64_t now) const { return ttl(now) > 0; }
  // Stale, but within stale-while-revalidate: served at once while one refresh runs.
  bool mayServeWhileRevalidating(int64_t now) const { return isStaleWithin(now, swr_window); }
  // Stale, but within stale-if-error: served when the origin fails (5xx, down, timeout).
  bool mayServeOnError(int64_t now) const { return isStaleWithin(now, sie_window); }
  bool isStaleWithin(int64_t now, uint32_t window) const {
    const int64_t left = ttl(now);
    return left <= 0 && left + window > 0;
  }
};

// A stored response being put together (object_builder, the tests): every part as its own
// string. CachedObject::make packs it.
struct ObjectDraft : ObjectTimes {
  std::string key;                       // primary key (cache_key.h)
  std::vector<std::string> vary_fields;  // lowercase, sorted
  std::string vary_key;                  // this variant's secondary key
  std::string reason;
  // As clients see them, in HTTP/1 wire form (a hit copies them as bytes): no hop-by-hop
  // fields, no Age, no Set-Cookie (only stored when the route strips it), no
  // Surrogate-Key/Cache-Tag, no Accept-Ranges (a hit says what it does with ranges).
  http::FieldLines fields;
  std::vector<std::string> tags;  // from Surrogate-Key / Cache-Tag
  std::string etag;               // validators, for conditional requests both ways
  std::string last_modified;
  // The targeted field (RFC 9213) whose directives set its freshness, when clients do not see
  // it (so not in `fields`): a 304 without one is judged by it again. Usually empty.
  std::string targeted;
  // The 103 Early Hints (RFC 8297) the fill saw, their fields in HTTP/1 wire form, when
  // cache.replay_early_hints kept them: a hit replays them before the response. Usually empty.
  std::string early_hints;

  bool hasValidator() const { return !etag.empty() || !last_modified.empty(); }
};

class CachedObject;

// The store's bookkeeping inside each object (cache_shard.cc): the hash chain of its index, its
// S3-FIFO queue, and the store's own reference. Touched only under the shard's lock, never by
// the readers of the object, which see only its immutable parts.
struct StoreLinks {
  std::shared_ptr<const CachedObject> owner;  // the store's reference; null once unlinked
  const CachedObject* chain_next = nullptr;
  const CachedObject* queue_prev = nullptr;
  const CachedObject* queue_next = nullptr;
};

class CachedObject : public ObjectTimes {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  // Bodies up to this size are copied into the object (with it or beside it): a refresh copies
  // them too. Larger ones are kept as the fill's shared buffer, and a refresh shares it.
  static constexpr uint64_t kPackedBodyMax = 64 * 1024;
  // A share of the index's bucket array (one pointer per bucket, at most one bucket per object
  // and at least one per two), counted in each charge.
  static constexpr uint64_t kIndexShare = 12;
  static constexpr uint64_t kVaryShare = 48;

  // Packs `draft` and `body`. `shared`, when given, owns `body`'s bytes and may be kept instead
  // of a copy (a body larger than kPackedBodyMax is).
  static std::shared_ptr<const CachedObject> make(const ObjectDraft& draft,
                                                  std::string_view body = {},
                                                  std::shared_ptr<const Body> shared = nullptr);
  // A new object with `draft`'s head and this object's body (shared when it is).
  std::shared_ptr<const CachedObject> withHead(const ObjectDraft& draft) const {
    return make(draft, body(), shared_body_);
  }
  // Every part back as strings, but the body: to build a changed copy (a 304's refresh).
  ObjectDraft draft() const;

  std::string_view fields() const { return piece(Piece::Fields); }
  std::string_view reason() const { return piece(Piece::Reason); }
  std::string_view key() const { return piece(Piece::Key); }
  std::string_view varyKey() const { return piece(Piece::VaryKey); }
  // The Vary'd field names, lowercase, sorted, each followed by '\n': compared whole.
  std::string_view varyFields() const { return piece(Piece::VaryFields); }
  std::vector<std::string> varyFieldList() const;  // the same, one name per element
  std::string_view targeted() const { return piece(Piece::Targeted); }
  // Empty when no 103 was kept (nearly always).
  std::string_view earlyHints() const { return piece(Piece::EarlyHints); }
  std::string_view etag() const { return std::string_view(text() + etag_.offset, etag_.length); }
  std::string_view lastModified() const {
    return std::string_view(text() + last_modified_.offset, last_modified_.length);
  }
  bool hasTag(std::string_view tag) const;
  // The plan of fields() for HTTP/2 (http2_field_plan.h): made once here, so that an HTTP/2 hit
  // does not search the lines again. Three bytes a field.
  std::span<const http::Http2PlannedField> http2Fields() const {
    const std::string_view p = piece(Piece::Http2Fields);
    return {reinterpret_cast<const http::Http2PlannedField*>(p.data()),
            p.size() / sizeof(http::Http2PlannedField)};
  }
  std::string_view body() const {
    return std::string_view(body_, shared_body_ ? shared_body_->size() : body_size_);
  }

  bool hasValidator() const { return etag_.length != 0 || last_modified_.length != 0; }
  // Past freshness and both windows, and nothing to revalidate with: useless, dropped on sight.
  // (With a validator it stays while memory allows: a 304 costs the origin less than a 200.)
  // (The validator test first: it is cheaper, and every lookup asks.)
  bool isDead(int64_t now) const {
    return !hasValidator() && ttl(now) + std::max(swr_window, sie_window) <= 0;
  }

  uint64_t charge = 0;  // bytes counted against cache.memory: what the allocator handed out
  mutable StoreLinks links;

  // Built by make() only (allocate_shared needs it public).
  CachedObject(Passkey, const ObjectDraft& draft, std::string_view body,
               std::shared_ptr<const Body> shared, int body_place,
               std::span<const http::Http2PlannedField> http2_fields);
  ~CachedObject();
  CachedObject(const CachedObject&) = delete;
  CachedObject& operator=(const CachedObject&) = delete;

 private:
  enum class Piece : uint8_t {
    Fields,
    Reason,
    Key,
    VaryKey,
    VaryFields,
    Targeted,
    EarlyHints,
    Tags,
    Http2Fields,
    kCount  // then a validator not found in the fields, if any (etag_, last_modified_)
  };
  struct Slice {
    uint32_t offset = 0;
    uint32_t length = 0;
  };
  // The pieces follow the object in its allocation (after the control block's end, which is
  // the object's own end in libstdc++: text_gap_ is 0 there).
  const char* text() const {
    return reinterpret_cast<const char*>(this) + sizeof(CachedObject) + text_gap_;
  }
  // Each piece ends where the next begins: its bounds are two loads, whichever it is.
  std::string_view piece(Piece p) const {
    const size_t i = static_cast<size_t>(p);
    const uint32_t begin = i == 0 ? 0 : end_[i - 1];
    return std::string_view(text() + begin, end_[i] - begin);
  }

  const char* body_ = nullptr;
  std::shared_ptr<const Body> shared_body_;  // a large body's owner (and size); else null
  uint32_t body_size_ = 0;                   // a packed body's (at most kPackedBodyMax)
  uint32_t end_[static_cast<size_t>(Piece::kCount)] = {};  // from text(), each piece's end
  Slice etag_;
  Slice last_modified_;
  bool owns_body_block_ = false;  // body_ is a block of its own, freed with the object
  uint8_t text_gap_ = 0;          // bytes between this object's end and its pieces

 public:
  // The store's, beside the links (here to fill what would be padding).
  mutable uint8_t frequency = 0;  // hits while queued, capped at 3
  mutable bool in_main = false;   // in S3-FIFO's main queue, not the small one
};

}  // namespace gatehouse::cache
