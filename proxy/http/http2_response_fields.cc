#include "proxy/http/http2_response_fields.h"

#include <array>
#include <charconv>
#include <cstring>

namespace gatehouse::http {

namespace {

// The nghttp2 flags of a field by the number of its name (http2_field_plan.h), or kDropped. A
// known name goes as its static lowercase spelling, which nghttp2 neither copies nor lowercases
// (NO_COPY_NAME); X-Request-Id is never indexed; an unknown name is copied and lowercased.
constexpr uint8_t kDropped = 0xff;
constexpr auto kNvFlags = [] {
  std::array<uint8_t, kHttp2KnownNameCount> flags{};
  for (size_t id = 1; id < kHttp2KnownNameCount; ++id) {
    switch (kHttp2KnownNames[id].role) {
      case Http2NameRole::Keep:
        flags[id] = NGHTTP2_NV_FLAG_NO_COPY_NAME;
        break;
      case Http2NameRole::NoIndex:
        flags[id] = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_INDEX;
        break;
      case Http2NameRole::Drop:
        flags[id] = kDropped;
        break;
    }
  }
  return flags;
}();
// The known names' lowercase spellings and lengths, as plain tables for the planned lines.
constexpr auto kLowerNames = [] {
  std::array<const char*, kHttp2KnownNameCount> names{};
  for (size_t id = 0; id < kHttp2KnownNameCount; ++id)
    names[id] = kHttp2KnownNames[id].lower.data();
  return names;
}();
constexpr auto kNameLengths = [] {
  std::array<uint8_t, kHttp2KnownNameCount> lengths{};
  for (size_t id = 0; id < kHttp2KnownNameCount; ++id)
    lengths[id] = static_cast<uint8_t>(kHttp2KnownNames[id].lower.size());
  return lengths;
}();

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
  std::string_view rest = head.preformatted;
  // The second run starts where the first ends: only if all of the first was followed.
  if (addPlanned(rest, head.http2_fields.first)) addPlanned(rest, head.http2_fields.then);
  addLines(rest);
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
  if (id >= kHttp2KnownNameCount) id = 0;
  const uint8_t flags = kNvFlags[id];
  if (flags == kDropped) return;
  add(id == 0 ? name : kHttp2KnownNames[id].lower, value, flags);
}

nghttp2_nv& Http2ResponseFields::beyondInline() {
  if (more_.empty()) more_.assign(inline_.begin(), inline_.end());
  ++size_;
  return more_.emplace_back();
}

// The lines a plan describes, without searching them but for the colon of an unknown name and
// the end of a long value. Each line is checked to be where the plan says (its colon and its
// end): a plan that does not fit the lines stops being followed, and the rest is walked.
// `lines` keeps what it did not cover; true if every entry was followed.
bool Http2ResponseFields::addPlanned(std::string_view& lines,
                                     std::span<const Http2PlannedField> plan) {
  const char* at = lines.data();
  const char* const end = at + lines.size();
  size_t followed = 0;
  for (; followed < plan.size(); ++followed) {
    const Http2PlannedField f = plan[followed];
    uint8_t id = f.name_id;
    size_t name_length;
    if (id != 0 && id < kHttp2KnownNameCount) {
      name_length = kNameLengths[id];
    } else {
      id = 0;
      const auto* colon = static_cast<const char*>(std::memchr(at, ':', end - at));
      if (!colon || colon == at) break;
      name_length = colon - at;
    }
    size_t value_length = f.valueLength();
    if (value_length == Http2PlannedField::kLongValue) {
      const auto* eol = static_cast<const char*>(std::memchr(at, '\n', end - at));
      if (!eol || static_cast<size_t>(eol - at) < name_length + 3) break;
      value_length = eol - at - name_length - 3;
    }
    const size_t length = name_length + value_length + 4;
    if (static_cast<size_t>(end - at) < length || at[name_length] != ':' || at[length - 1] != '\n')
      break;
    const uint8_t flags = kNvFlags[id];
    if (flags != kDropped)
      add({id == 0 ? at : kLowerNames[id], name_length}, {at + name_length + 2, value_length},
          flags);
    at += length;
  }
  lines = {at, static_cast<size_t>(end - at)};
  return followed == plan.size();
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
