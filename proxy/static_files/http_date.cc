#include "proxy/static_files/http_date.h"

#include <array>
#include <cstring>

namespace gatehouse::static_files {
namespace {
constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int monthIndex(const char* name) {
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (std::strncmp(name, kMonths[i], 3) == 0) return static_cast<int>(i);
  return -1;
}
}  // namespace

std::string formatHttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<std::time_t> parseHttpDate(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::string s(text);
  std::tm tm{};
  char month[4] = {};
  char weekday[16] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  if (std::sscanf(s.c_str(), "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", weekday, &day,
                  month, &year, &hour, &minute, &second, &consumed) == 7 &&
      static_cast<size_t>(consumed) == s.size()) {
  } else if (std::sscanf(s.c_str(), "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", weekday,
                         &day, month, &year, &hour, &minute, &second, &consumed) == 7 &&
             static_cast<size_t>(consumed) == s.size()) {
    // RFC 850: a two-digit year more than 50 years in the future is in the past (§5.6.7).
    year += year < 70 ? 2000 : 1900;
  } else if (std::sscanf(s.c_str(), "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", weekday, month,
                         &day, &hour, &minute, &second, &year, &consumed) == 7 &&
             static_cast<size_t>(consumed) == s.size()) {
    // asctime: Sun Nov  6 08:49:37 1994
  } else {
    return std::nullopt;
  }
  int mon = monthIndex(month);
  if (mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1900)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

}  // namespace gatehouse::static_files
