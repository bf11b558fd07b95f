#pragma once
// The status page's logins: POST /login with the admin token gets a random session id in an
// HttpOnly, SameSite=Strict cookie, so that the token never sits in the page, a URL or a
// script's reach. A session lasts admin.session_ttl, and every session ends when the token
// changes (a reload that rotates it) or the process restarts. Main loop only.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gatehouse::admin {

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::string_view kCookie = "gatehouse_session";
  static constexpr size_t kMaxSessions = 64;  // the oldest goes for a new one past this

  // A new session until `now + ttl`: its id (64 hex digits from the OpenSSL RNG).
  std::string create(Clock::time_point now, Clock::duration ttl);
  // Whether the Cookie field carries a live session.
  bool valid(std::string_view cookie_field, Clock::time_point now);
  // Ends the session the Cookie field names, if any.
  void end(std::string_view cookie_field);
  void clear() { sessions_.clear(); }
  size_t size() const { return sessions_.size(); }

  // The session id in a Cookie field value, or empty.
  static std::string_view idIn(std::string_view cookie_field);

 private:
  std::unordered_map<std::string, Clock::time_point> sessions_;  // id -> expiry
};

}  // namespace gatehouse::admin
