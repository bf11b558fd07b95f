#include "proxy/pipeline/cached_response_writer.h"

#include <fmt/format.h>

#include "proxy/base/ascii.h"
#include "proxy/base/inline_buffer.h"
#include "proxy/http/byte_range.h"
#include "proxy/http/conditional.h"
#include "proxy/http/field_lines.h"
#include "proxy/net/evbuffer_reference.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::pipeline {
namespace {

// Bodies up to this size leave with the head through respondWhole (copied next to it, one
// write); larger ones go by reference (sendBodySlice).
constexpr uint64_t kCopyBodyMax = 16 * 1024;

void sendBodySlice(http::Exchange& exchange, std::shared_ptr<const cache::CachedObject> object,
                   uint64_t offset, uint64_t length) {
  if (length == 0) return;
  net::EvbufferPtr buf = net::makeEvbuffer();
  const std::string_view slice = object->body().substr(offset, length);
  if (!net::addSharedReference(buf.get(), slice, std::move(object))) {
    exchange.abort();
    return;
  }
  exchange.respondBody(buf.get());
}

// RFC 9110 §15.4.5: a 304 carries the fields a 200 would have that describe the stored
// representation's metadata, not its content framing.
bool belongsIn304(std::string_view name) {
  return !(ascii::iequals(name, "content-type") || ascii::iequals(name, "content-encoding") ||
           ascii::iequals(name, "content-language") || ascii::iequals(name, "content-range"));
}

// Age, Cache-Status and X-Request-Id: what each response from a stored object says of itself.
void appendPerResponseFields(InlineBuffer<2048>& fields, http::Exchange& exchange,
                             const cache::CachedObject& o, int64_t now) {
  InlineBuffer<24> age;
  age.appendNumber(std::max<int64_t>(0, o.currentAge(now)));
  http::appendFieldLine(fields, "Age", age.view());
  http::appendFieldLine(fields, "Cache-Status", exchange.record().cache_status.view());
  http::appendFieldLine(fields, "X-Request-Id", exchange.requestId());
}

// The start of any head from a stored object: its status line, and the Cache-Status (with the
// object's remaining ttl) recorded for the access log and for appendPerResponseFields. Inlined:
// GCC would call it (two callers), which costs the hit path 12 instructions (bench/callgrind.sh).
[[gnu::always_inline]] inline http::ResponseHead storedHead(http::Exchange& exchange,
                                                            const cache::CachedObject& o,
                                                            int64_t now,
                                                            cache::CacheStatus& status) {
  status.ttl = o.ttl(now);
  exchange.record().cache_status = status.format();
  http::ResponseHead head;
  head.status = o.status;
  head.reason.append(o.reason());  // (into an empty string: cheaper than assigning a view)
  return head;
}

// The framing of a stored response: `length` bytes (nullopt: unknown, streamed), sent unless
// `send_body` is false (a HEAD). A 204 has neither body nor Content-Length (RFC 9110 §8.6).
void frameBody(http::ResponseHead& head, const cache::CachedObject& o,
               std::optional<uint64_t> length, bool send_body) {
  head.content_length = length;
  head.has_body = send_body && o.status != 204;
  if (o.status == 204) head.content_length.reset();
}

}  // namespace

void replayEarlyHints(http::Exchange& exchange, const cache::CachedObject& o) {
  if (o.earlyHints().empty()) return;
  http::ResponseHead hints;
  hints.status = 103;
  hints.has_body = false;
  hints.preformatted = o.earlyHints();
  exchange.respondInterim(hints);
}

void respondFollowedHead(http::Exchange& exchange, const cache::CachedObject& o,
                         std::optional<uint64_t> length, int64_t now, cache::CacheStatus status) {
  http::ResponseHead head = storedHead(exchange, o, now, status);
  InlineBuffer<2048> fields;
  fields.append(o.fields());
  appendPerResponseFields(fields, exchange, o, now);
  head.preformatted = fields.view();
  head.http2_fields = o.http2Fields();
  frameBody(head, o, length, /*send_body=*/true);
  exchange.respondHead(head);
}

// The hit path allocates nothing for a typical object: the stored fields and the per-hit ones
// (Age, Cache-Status, X-Request-Id) are laid out in one stack buffer that the codec copies as
// bytes, and a small body is copied next to them.
void serveCachedObject(http::Exchange& exchange, std::shared_ptr<const cache::CachedObject> object,
                       int64_t now, cache::CacheStatus status, bool replay_early_hints) {
  const http::RequestHead& request = exchange.request();
  const cache::CachedObject& o = *object;
  // Null for nearly every object: one test on the hit path.
  if (replay_early_hints) replayEarlyHints(exchange, o);
  const std::string_view body = o.body();
  const uint64_t length = body.size();
  http::ResponseHead head = storedHead(exchange, o, now, status);
  InlineBuffer<2048> fields;
  const http::Validators validators{o.etag(), o.lastModified()};
  const bool not_modified = (o.status == 200) && http::isNotModified(request.headers, validators);
  if (not_modified) {
    http::forEachFieldLine(o.fields(), [&fields](std::string_view name, std::string_view value) {
      if (belongsIn304(name)) http::appendFieldLine(fields, name, value);
    });
  } else {
    fields.append(o.fields());
    head.http2_fields = o.http2Fields();  // the stored lines come first: the plan fits them
  }
  appendPerResponseFields(fields, exchange, o, now);

  uint64_t first = 0, count = length;
  if (not_modified) {
    head.status = 304;
    head.reason.clear();
    head.has_body = false;
    head.content_length.reset();
  } else {
    std::string_view range = request.headers.get("range");
    if (o.status == 200 && !range.empty() && request.method == "GET" &&
        http::ifRangeAllows(request.headers, validators)) {
      // Several satisfiable ranges, like an ignored Range, get the whole 200.
      const http::RangeRequest r = http::parseRange(range, length);
      if (r.kind == http::RangeKind::Single) {
        head.status = 206;
        head.reason.clear();
        head.headers.add("Content-Range",
                         fmt::format("bytes {}-{}/{}", r.range.first, r.range.last, length));
        first = r.range.first;
        count = r.range.length();
      } else if (r.kind == http::RangeKind::Unsatisfiable) {
        head.status = 416;
        head.reason.clear();
        head.headers.add("Content-Range", fmt::format("bytes */{}", length));
        count = 0;
      }
    }
    if (o.status == 200) http::appendFieldLine(fields, "Accept-Ranges", "bytes");
    frameBody(head, o, count, /*send_body=*/request.method != "HEAD");
  }
  head.preformatted = fields.view();
  if (!not_modified && o.status != 204 && count <= kCopyBodyMax) {
    // The common case, a small body: head and body leave together (respondWhole sets the
    // length, and sends no body to a HEAD).
    exchange.respondWhole(std::move(head), body.substr(first, count));
    return;
  }
  exchange.respondHead(head);
  if (head.has_body) sendBodySlice(exchange, std::move(object), first, count);
  exchange.respondEnd();
}

}  // namespace gatehouse::pipeline
