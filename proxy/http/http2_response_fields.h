#pragma once
// The header block of one response (or of its trailers) for nghttp2_submit_*: an nghttp2_nv per
// field, pointing into the head it was made from. nghttp2 copies names and values, and lowercases
// the names as it copies (RFC 9113 §8.2.1), so nothing is copied or lowercased here, and the head
// only has to live until the submit call returns. Common names (content-type, cache-control,
// x-request-id...) go as static lowercase spellings that nghttp2 need not copy nor lowercase
// (NO_COPY_NAME); values are always copied. A typical response's fields fit in the object
// itself: no allocation per response. A stored response's lines come with their plan
// (head.http2_fields, http2_field_plan.h), which spares searching them on every hit.

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"
#include "proxy/http/http2_field_plan.h"
#include "proxy/http/message.h"

namespace gatehouse::http {

class Http2ResponseFields {
 public:
  // :status, the head's fields (preformatted lines first, as far as head.http2_fields describes
  // them by its plan) and content-length when given.
  Http2ResponseFields(int status, const ResponseHead& head, std::optional<uint64_t> length);
  // Trailer fields: no pseudo-field.
  explicit Http2ResponseFields(const HeaderMap& trailers);
  Http2ResponseFields(const Http2ResponseFields&) = delete;
  Http2ResponseFields& operator=(const Http2ResponseFields&) = delete;

  const nghttp2_nv* data() const { return more_.empty() ? inline_.data() : more_.data(); }
  size_t size() const { return size_; }

  // Fields that mean nothing in HTTP/2 and make a strict client reject the response
  // (RFC 9113 §8.2.2), plus the ones the codec writes itself (pseudo-fields, content-length).
  static bool dropped(std::string_view name);

 private:
  static constexpr size_t kInline = 32;
  void addField(std::string_view name, std::string_view value);
  // `id`: http2KnownNameId(name) (what a plan holds).
  void addKnown(std::string_view name, std::string_view value, uint8_t id);
  void add(std::string_view name, std::string_view value, uint8_t flags) {
    nghttp2_nv& nv = size_ < kInline ? inline_[size_++] : beyondInline();
    nv.name = reinterpret_cast<uint8_t*>(const_cast<char*>(name.data()));
    nv.value = reinterpret_cast<uint8_t*>(const_cast<char*>(value.data()));
    nv.namelen = name.size();
    nv.valuelen = value.size();
    nv.flags = flags;
  }
  nghttp2_nv& beyondInline();  // a new slot, past the inline ones
  void addLines(std::string_view lines);
  bool addPlanned(std::string_view& lines, std::span<const Http2PlannedField> plan);

  std::array<nghttp2_nv, kInline> inline_;
  std::vector<nghttp2_nv> more_;  // all of them, once past kInline
  size_t size_ = 0;
  std::array<char, 3> status_{};
  std::array<char, 20> length_{};
};

}  // namespace gatehouse::http
