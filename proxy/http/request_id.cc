#include "proxy/http/request_id.h"

#include <openssl/rand.h>

namespace gatehouse::http {

RequestIdGenerator::RequestIdGenerator() {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&prefix_), sizeof prefix_) != 1)
    prefix_ = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this));
}

// By hand rather than fmt::format("{:08x}{:08x}"): one per request, and the runtime-parsed
// format cost ten times the digits themselves (callgrind: ~1,300 instructions).
std::string RequestIdGenerator::next() {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t id = (uint64_t{prefix_} << 32) | ++counter_;
  std::string out(16, '0');
  for (int i = 15, shift = 0; i >= 0; --i, shift += 4)
    out[static_cast<size_t>(i)] = kHex[(id >> shift) & 0xf];
  return out;
}

std::string RequestIdGenerator::adoptOrNext(std::string_view incoming) {
  if (incoming.empty() || incoming.size() > 128) return next();
  for (char c : incoming)
    if (c < 0x21 || c > 0x7e) return next();
  return std::string(incoming);
}

}  // namespace gatehouse::http
