#include "proxy/http/request_id.h"

#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "proxy/base/ascii.h"

namespace gatehouse::http {

RequestIdGenerator::RequestIdGenerator() {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&prefix_), sizeof prefix_) != 1)
    prefix_ = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this));
}

RequestId RequestIdGenerator::next() {
  // By hand rather than fmt::format("{:08x}{:08x}"): this runs for every request, and the
  // format-string machinery cost more than the rest of a cache hit's head.
  // Two digits a step from a table of the 256 byte values' spellings.
  static constexpr std::array<char, 512> kHexPairs = [] {
    constexpr char kHex[] = "0123456789abcdef";
    std::array<char, 512> t{};
    for (size_t b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 0xf];
    }
    return t;
  }();
  RequestId id;
  char* digits = id.grow(16);
  const uint64_t value = (uint64_t{prefix_} << 32) | ++counter_;
  for (int i = 0; i < 8; ++i)
    std::memcpy(digits + 14 - 2 * i, &kHexPairs[2 * ((value >> (8 * i)) & 0xff)], 2);
  return id;
}

RequestId RequestIdGenerator::adoptOrNext(std::string_view incoming) {
  if (incoming.empty() || incoming.size() > 128) return next();
  for (char c : incoming)
    if (c < 0x21 || c > 0x7e) return next();
  RequestId id;
  id.append(incoming);
  return id;
}

RequestId RequestIdGenerator::take(HeaderMap& headers) {
  std::string_view incoming;
  size_t count = 0;
  for (const Header& h : headers) {
    if (!ascii::iequals(h.name, "x-request-id")) continue;
    if (count++ == 0) incoming = h.value;
  }
  if (count == 0) return next();
  RequestId id = count == 1 ? adoptOrNext(incoming) : next();
  if (count > 1 || id.view() != incoming) headers.remove("x-request-id");
  return id;
}

}  // namespace gatehouse::http
