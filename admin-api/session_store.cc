#include "admin-api/session_store.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "proxy/base/ascii.h"

namespace gatehouse::admin {

std::string SessionStore::create(Clock::time_point now, Clock::duration ttl) {
  std::erase_if(sessions_, [&](const auto& s) { return s.second <= now; });
  if (sessions_.size() >= kMaxSessions) {
    auto oldest =
        std::min_element(sessions_.begin(), sessions_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    sessions_.erase(oldest);
  }
  std::array<unsigned char, 32> bytes{};
  // Guessable sessions would be worse than none: refuse to go on without randomness.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  std::string id;
  for (unsigned char b : bytes)
    id += fmt::format("{:02x}", b);
  sessions_[id] = now + ttl;
  return id;
}

std::string_view SessionStore::idIn(std::string_view cookie_field) {
  while (!cookie_field.empty()) {
    const size_t semi = cookie_field.find(';');
    std::string_view pair = ascii::trimOws(cookie_field.substr(0, semi));
    cookie_field =
        semi == std::string_view::npos ? std::string_view{} : cookie_field.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kCookie) return pair.substr(eq + 1);
  }
  return {};
}

bool SessionStore::valid(std::string_view cookie_field, Clock::time_point now) {
  const std::string_view id = idIn(cookie_field);
  if (id.size() != 64) return false;
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return false;
  if (it->second <= now) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

void SessionStore::end(std::string_view cookie_field) {
  const std::string_view id = idIn(cookie_field);
  if (!id.empty()) sessions_.erase(std::string(id));
}

}  // namespace gatehouse::admin
