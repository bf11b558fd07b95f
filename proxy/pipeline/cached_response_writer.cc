#include "proxy/pipeline/cached_response_writer.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

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

// The field lines of a response from a stored object: the stored ones, or those of them a 304
// keeps, then the ones each response says of itself, with their HTTP/2 plan
// (http2_field_plan.h), so that HTTP/2 need not search these lines either.
struct HitFields {
  InlineBuffer<2048> lines;
  std::array<http::Http2PlannedField, 4> plan;  // of the hit's own lines
  size_t planned = 0;

  // "Name: value\r\n" for a name written here, `prefix` being "Name: ": a copy of known size,
  // which the compiler turns into a few moves (appendFieldLine's calls memcpy for it).
  template <size_t N>
  [[gnu::always_inline]] void add(const char (&prefix)[N], uint8_t id, std::string_view value) {
    char* at = lines.grow(N - 1 + value.size() + 2);
    std::memcpy(at, prefix, N - 1);
    at += N - 1;
    if (!value.empty()) std::memcpy(at, value.data(), value.size());
    at += value.size();
    std::memcpy(at, "\r\n", 2);
    if (planned < plan.size()) plan[planned++] = http::Http2PlannedField::of(id, value.size());
  }

  // The plan of all the lines, the stored object's `o` first: only when they are all there.
  http::Http2FieldPlan http2Plan(const cache::CachedObject& o) const {
    return {o.http2Fields(), {plan.data(), planned}};
  }
};

// Age, Cache-Status and X-Request-Id: what each response from a stored object says of itself.
void appendPerResponseFields(HitFields& fields, http::Exchange& exchange,
                             const cache::CachedObject& o, int64_t now) {
  InlineBuffer<24> age;
  age.appendNumber(std::max<int64_t>(0, o.currentAge(now)));
  fields.add("Age: ", http::http2KnownNameIdOf("age"), age.view());
  fields.add("Cache-Status: ", http::http2KnownNameIdOf("cache-status"),
             exchange.record().cache_status.view());
  fields.add("X-Request-Id: ", http::http2KnownNameIdOf("x-request-id"), exchange.requestId());
}

// The start of any head from a stored object: its status line, and the Cache-Status (with the
// object's remaining ttl) recorded for the access log and for appendPerResponseFields. Inlined:
// GCC would call it (two callers), which costs the hit path 12 instructions (bench/callgrind.sh).
[[gnu::always_inline]] inline http::ResponseHead storedHead(http::Exchange& exchange,
                                                            const cache::CachedObject& o,
                                                            int64_t now,
                                                            cache::CacheStatus& status) {
  status.ttl = o.ttl(now);
  status.formatInto(exchange.record().cache_status);
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
  HitFields fields;
  fields.lines.append(o.fields());
  appendPerResponseFields(fields, exchange, o, now);
  head.preformatted = fields.lines.view();
  head.http2_fields = fields.http2Plan(o);
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
  HitFields fields;
  const http::Validators validators{o.etag(), o.lastModified()};
  const bool not_modified = (o.status == 200) && http::isNotModified(request.headers, validators);
  if (not_modified) {
    // A filtered copy: no plan (HTTP/2 walks these lines).
    http::forEachFieldLine(o.fields(), [&fields](std::string_view name, std::string_view value) {
      if (belongsIn304(name)) http::appendFieldLine(fields.lines, name, value);
    });
  } else {
    fields.lines.append(o.fields());
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
    if (o.status == 200)
      fields.add("Accept-Ranges: ", http::http2KnownNameIdOf("accept-ranges"), "bytes");
    frameBody(head, o, count, /*send_body=*/request.method != "HEAD");
    head.http2_fields = fields.http2Plan(o);
  }
  head.preformatted = fields.lines.view();
  if (!not_modified && o.status != 204 && count <= kCopyBodyMax) {
    // The common case, a small body: head and body leave together (respondWhole sets the
    // length, and sends no body to a HEAD). The object goes along: a codec that sends the body
    // later (HTTP/2) keeps it rather than copy the body.
    exchange.respondWhole(std::move(head), body.substr(first, count), std::move(object));
    return;
  }
  exchange.respondHead(head);
  if (head.has_body) sendBodySlice(exchange, std::move(object), first, count);
  exchange.respondEnd();
}

}  // namespace gatehouse::pipeline
