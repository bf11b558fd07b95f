#include "proxy/http/http2_response_fields.h"

#include <charconv>

namespace gatehouse::http {

namespace {

// The flags of a known name's field: its static lowercase spelling is neither copied nor
// lowercased by nghttp2 (NGHTTP2_NV_FLAG_NO_COPY_NAME), and X-Request-Id is never indexed.
uint8_t knownFlags(const Http2KnownName& k) {
  return NGHTTP2_NV_FLAG_NO_COPY_NAME |
         (k.role == Http2NameRole::NoIndex ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE);
}

}  // namespace

bool Http2ResponseFields::dropped(std::string_view name) {
  if (name.empty() || name.front() == ':') return true;
  return http2KnownName(http2KnownNameId(name)).role == Http2NameRole::Drop;
}

Http2ResponseFields::Http2ResponseFields(int status, const ResponseHead& head,
                                         std::optional<uint64_t> length) {
  // A status is three digits (RFC 9110 §15); anything else was refused before it got here.
  const unsigned code = static_cast<unsigned>(status) % 1000;
  status_ = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
             static_cast<char>('0' + code % 10)};
  add(":status", {status_.data(), status_.size()}, NGHTTP2_NV_FLAG_NO_COPY_NAME);
  addLines(addPlanned(head.preformatted, head.http2_fields));
  for (const Header& h : head.headers)
    addField(h.name, h.value);
  if (length) {
    const auto [end, ec] = std::to_chars(length_.data(), length_.data() + length_.size(), *length);
    add("content-length", {length_.data(), static_cast<size_t>(end - length_.data())},
        NGHTTP2_NV_FLAG_NO_COPY_NAME);
  }
}

Http2ResponseFields::Http2ResponseFields(const HeaderMap& trailers) {
  for (const Header& h : trailers)
    addField(h.name, h.value);
}

void Http2ResponseFields::addField(std::string_view name, std::string_view value) {
  if (name.empty() || name.front() == ':') return;
  addKnown(name, value, http2KnownNameId(name));
}

void Http2ResponseFields::addKnown(std::string_view name, std::string_view value, uint8_t id) {
  if (id == 0) return add(name, value, NGHTTP2_NV_FLAG_NONE);  // nghttp2 copies and lowercases it
  const Http2KnownName& k = http2KnownName(id);
  if (k.role != Http2NameRole::Drop) add(k.lower, value, knownFlags(k));
}

void Http2ResponseFields::addBeyondInline(const nghttp2_nv& nv) {
  if (more_.empty()) more_.assign(inline_.begin(), inline_.end());
  more_.push_back(nv);
  ++size_;
}

// The lines a plan describes, without searching them: each line is only checked to be where the
// plan says (its colon and its end), so a plan that does not fit the lines stops being followed
// and the rest is walked. Returns the lines it did not cover.
std::string_view Http2ResponseFields::addPlanned(std::string_view lines, Http2FieldPlan plan) {
  const char* at = lines.data();
  const char* const end = at + lines.size();
  for (const Http2PlannedField& f : plan) {
    const size_t length = f.lineLength();
    if (static_cast<size_t>(end - at) < length || at[f.name_length] != ':' ||
        at[length - 1] != '\n')
      break;
    addKnown({at, f.name_length}, {at + f.name_length + 2, f.valueLength()}, f.name_id);
    at += length;
  }
  return {at, static_cast<size_t>(end - at)};
}

// The lines no plan covered (field_lines.h), split by nextFieldLine.
void Http2ResponseFields::addLines(std::string_view lines) {
  const char* at = lines.data();
  const char* const end = at + lines.size();
  std::string_view name, value;
  while (nextFieldLine(at, end, name, value))
    addField(name, value);
}

}  // namespace gatehouse::http
