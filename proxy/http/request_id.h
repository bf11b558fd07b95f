#pragma once
// Request ids: 16 hex digits, unique per process run without coordination between workers
// (a random per-worker prefix and a counter). An incoming X-Request-Id is kept when sane, so a
// request keeps one id across tiers.

#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::http {

class RequestIdGenerator {
 public:
  RequestIdGenerator();
  std::string next();
  // Keeps a client's id if it is 1..128 visible ASCII characters; otherwise makes one.
  std::string adoptOrNext(std::string_view incoming);

 private:
  uint32_t prefix_;
  uint32_t counter_ = 0;
};

}  // namespace gatehouse::http
