#include "proxy/http/http2_response_fields.h"

#include <charconv>

#include "proxy/base/ascii.h"
#include "proxy/http/field_lines.h"

namespace gatehouse::http {

bool Http2ResponseFields::dropped(std::string_view name) {
  if (name.empty() || name.front() == ':') return true;
  // By length first: nearly every field of a response is none of these and costs one switch.
  switch (name.size()) {
    case 2:
      return ascii::iequals(name, "te");
    case 7:
      return ascii::iequals(name, "upgrade");
    case 10:
      return ascii::iequals(name, "connection") || ascii::iequals(name, "keep-alive");
    case 14:
      return ascii::iequals(name, "content-length");
    case 16:
      return ascii::iequals(name, "proxy-connection");
    case 17:
      return ascii::iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

Http2ResponseFields::Http2ResponseFields(int status, const ResponseHead& head,
                                         std::optional<uint64_t> length) {
  // A status is three digits (RFC 9110 §15); anything else was refused before it got here.
  const unsigned code = static_cast<unsigned>(status) % 1000;
  status_ = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
             static_cast<char>('0' + code % 10)};
  add(":status", {status_.data(), status_.size()}, NGHTTP2_NV_FLAG_NONE);
  forEachFieldLine(head.preformatted, [this](std::string_view name, std::string_view value) {
    addField(name, value);
  });
  for (const Header& h : head.headers)
    addField(h.name, h.value);
  if (length) {
    const auto [end, ec] = std::to_chars(length_.data(), length_.data() + length_.size(), *length);
    add("content-length", {length_.data(), static_cast<size_t>(end - length_.data())},
        NGHTTP2_NV_FLAG_NONE);
  }
}

Http2ResponseFields::Http2ResponseFields(const HeaderMap& trailers) {
  for (const Header& h : trailers)
    if (!dropped(h.name)) add(h.name, h.value, NGHTTP2_NV_FLAG_NONE);
}

void Http2ResponseFields::addField(std::string_view name, std::string_view value) {
  if (dropped(name)) return;
  // X-Request-Id is new in every response, so HPACK must not index it: each entry would evict a
  // reusable one (server, content-type, via) from the 4 KiB dynamic table, and nghttp2 compares
  // each new value against every indexed one of that name (a memcmp per entry, dozens per
  // response once the table is full of ids).
  const bool unique = name.size() == 12 && ascii::iequals(name, "x-request-id");
  add(name, value, unique ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
}

void Http2ResponseFields::add(std::string_view name, std::string_view value, uint8_t flags) {
  const nghttp2_nv nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), flags};
  if (size_ < kInline) {
    inline_[size_++] = nv;
    return;
  }
  if (more_.empty()) more_.assign(inline_.begin(), inline_.end());
  more_.push_back(nv);
  ++size_;
}

}  // namespace gatehouse::http
