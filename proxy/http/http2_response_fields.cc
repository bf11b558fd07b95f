#include "proxy/http/http2_response_fields.h"

#include <array>
#include <charconv>
#include <cstring>

namespace gatehouse::http {

namespace {

// A response field name by its role here: dropped (RFC 9113 §8.2.2, or written by the codec
// itself), never indexed, or a common one whose lowercase spelling lives as long as the process,
// so that nghttp2 neither copies nor lowercases it (NGHTTP2_NV_FLAG_NO_COPY_NAME).
struct KnownName {
  std::string_view lower;
  enum class Role : uint8_t { Keep, Drop, NoIndex } role = Role::Keep;
};
using Role = KnownName::Role;

// `name` (a field name: token characters only, as both parsers guarantee) against a lowercase
// spelling of the same length made of letters, digits and '-', each of which has bit 0x20 set:
// a token character or-ed with 0x20 equals one of them only if it is that character in either
// case. Three instructions a byte where ascii::iequals takes about ten.
bool sameNameLowercase(std::string_view name, std::string_view lower) {
  for (size_t i = 0; i < lower.size(); ++i)
    if (static_cast<char>(name[i] | 0x20) != lower[i]) return false;
  return true;
}

// Up to four candidates per length: the name is compared with those of its length only, and
// most comparisons end at the first byte.
template <size_t N>
const KnownName* match(std::string_view name, const std::array<KnownName, N>& candidates) {
  for (const KnownName& k : candidates)
    if (sameNameLowercase(name, k.lower)) return &k;
  return nullptr;
}

const KnownName* known(std::string_view name) {
  static constexpr std::array<KnownName, 1> k2 = {{{"te", Role::Drop}}};
  static constexpr std::array<KnownName, 2> k3 = {{{"age"}, {"via"}}};
  static constexpr std::array<KnownName, 4> k4 = {{{"date"}, {"etag"}, {"vary"}, {"link"}}};
  static constexpr std::array<KnownName, 1> k6 = {{{"server"}}};
  static constexpr std::array<KnownName, 2> k7 = {{{"upgrade", Role::Drop}, {"expires"}}};
  static constexpr std::array<KnownName, 1> k8 = {{{"location"}}};
  static constexpr std::array<KnownName, 3> k10 = {
      {{"connection", Role::Drop}, {"keep-alive", Role::Drop}, {"set-cookie"}}};
  // X-Request-Id is new in every response, so HPACK must not index it: each entry would evict a
  // reusable one (server, content-type, via) from the 4 KiB dynamic table, and nghttp2 compares
  // each new value against every indexed one of that name (a memcmp per entry, dozens per
  // response once the table is full of ids).
  static constexpr std::array<KnownName, 3> k12 = {
      {{"content-type"}, {"cache-status"}, {"x-request-id", Role::NoIndex}}};
  static constexpr std::array<KnownName, 3> k13 = {
      {{"cache-control"}, {"last-modified"}, {"accept-ranges"}}};
  static constexpr std::array<KnownName, 1> k14 = {{{"content-length", Role::Drop}}};
  static constexpr std::array<KnownName, 2> k16 = {
      {{"proxy-connection", Role::Drop}, {"content-encoding"}}};
  static constexpr std::array<KnownName, 1> k17 = {{{"transfer-encoding", Role::Drop}}};
  static constexpr std::array<KnownName, 1> k25 = {{{"strict-transport-security"}}};
  switch (name.size()) {
    case 2:
      return match(name, k2);
    case 3:
      return match(name, k3);
    case 4:
      return match(name, k4);
    case 6:
      return match(name, k6);
    case 7:
      return match(name, k7);
    case 8:
      return match(name, k8);
    case 10:
      return match(name, k10);
    case 12:
      return match(name, k12);
    case 13:
      return match(name, k13);
    case 14:
      return match(name, k14);
    case 16:
      return match(name, k16);
    case 17:
      return match(name, k17);
    case 25:
      return match(name, k25);
    default:
      return nullptr;
  }
}

}  // namespace

bool Http2ResponseFields::dropped(std::string_view name) {
  if (name.empty() || name.front() == ':') return true;
  const KnownName* k = known(name);
  return k && k->role == Role::Drop;
}

Http2ResponseFields::Http2ResponseFields(int status, const ResponseHead& head,
                                         std::optional<uint64_t> length) {
  // A status is three digits (RFC 9110 §15); anything else was refused before it got here.
  const unsigned code = static_cast<unsigned>(status) % 1000;
  status_ = {static_cast<char>('0' + code / 100), static_cast<char>('0' + code / 10 % 10),
             static_cast<char>('0' + code % 10)};
  add(":status", {status_.data(), status_.size()}, NGHTTP2_NV_FLAG_NO_COPY_NAME);
  addLines(head.preformatted);
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
  const KnownName* k = known(name);
  if (!k) return add(name, value, NGHTTP2_NV_FLAG_NONE);  // nghttp2 copies and lowercases it
  if (k->role == Role::Drop) return;
  add(k->lower, value,
      NGHTTP2_NV_FLAG_NO_COPY_NAME |
          (k->role == Role::NoIndex ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE));
}

void Http2ResponseFields::addBeyondInline(const nghttp2_nv& nv) {
  if (more_.empty()) more_.assign(inline_.begin(), inline_.end());
  more_.push_back(nv);
  ++size_;
}

// The "Name: value\r\n" lines of field_lines.h, one memchr for the line's end and one for its
// colon (forEachFieldLine's two searches by string cost twice as much on the hit path). Names
// hold no ':' and values no CR or LF (both parsers guarantee it), so the split is exact.
void Http2ResponseFields::addLines(std::string_view lines) {
  const char* at = lines.data();
  const char* const end = at + lines.size();
  while (at < end) {
    const auto* eol = static_cast<const char*>(std::memchr(at, '\n', end - at));
    if (!eol) return;
    const auto* colon = static_cast<const char*>(std::memchr(at, ':', eol - at));
    if (!colon || eol - colon < 3) return;  // ": " and the CR
    addField({at, static_cast<size_t>(colon - at)},
             {colon + 2, static_cast<size_t>(eol - 1 - (colon + 2))});
    at = eol + 1;
  }
}

}  // namespace gatehouse::http
