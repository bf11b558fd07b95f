#include "proxy/http/request_id.h"

#include <fmt/format.h>
#include <openssl/rand.h>

namespace gatehouse::http {

RequestIdGenerator::RequestIdGenerator() {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&prefix_), sizeof prefix_) != 1)
    prefix_ = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(this));
}

std::string RequestIdGenerator::next() {
  return fmt::format("{:08x}{:08x}", prefix_, ++counter_);
}

std::string RequestIdGenerator::adoptOrNext(std::string_view incoming) {
  if (incoming.empty() || incoming.size() > 128) return next();
  for (char c : incoming)
    if (c < 0x21 || c > 0x7e) return next();
  return std::string(incoming);
}

}  // namespace gatehouse::http
