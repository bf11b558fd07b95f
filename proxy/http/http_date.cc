#include "proxy/http/http_date.h"

#include <fmt/format.h>

#include <array>

#include "proxy/base/ascii.h"

namespace gatehouse::http {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {
    "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday

// Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int daysInMonth(int year, int month) {
  constexpr std::array<int, 12> kLength = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kLength[static_cast<size_t>(month - 1)];
}

bool isLetters(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (ascii::toLower(c) < 'a' || ascii::toLower(c) > 'z') return false;
  return true;
}

// Reads the fixed-width fields of a date left to right; each step consumes on success only.
struct Cursor {
  std::string_view s;
  bool number(size_t digits, int& out) {
    if (s.size() < digits) return false;
    out = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    s.remove_prefix(digits);
    return true;
  }
  bool literal(std::string_view lit) {
    if (!s.starts_with(lit)) return false;
    s.remove_prefix(lit.size());
    return true;
  }
  bool month(int& out) {
    if (s.size() < 3) return false;
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (ascii::iequals(s.substr(0, 3), kMonths[i])) {
        out = static_cast<int>(i) + 1;
        s.remove_prefix(3);
        return true;
      }
    }
    return false;
  }
  bool time(int& h, int& m, int& sec) {
    return number(2, h) && literal(":") && number(2, m) && literal(":") && number(2, sec);
  }
};

// second may be 60: a leap second (§5.6.7 follows RFC 5322, which allows it).
std::optional<int64_t> toEpoch(int year, int month, int day, int h, int m, int s) {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || h > 23 || m > 59 ||
      s > 60)
    return std::nullopt;
  return daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         h * 3600 + m * 60 + s;
}

// IMF-fixdate after "Sun,": " 06 Nov 1994 08:49:37 GMT".
std::optional<int64_t> imfFixdate(Cursor c) {
  int year = 0, month = 0, day = 0, h = 0, m = 0, s = 0;
  if (c.literal(" ") && c.number(2, day) && c.literal(" ") && c.month(month) && c.literal(" ") &&
      c.number(4, year) && c.literal(" ") && c.time(h, m, s) && c.literal(" GMT") && c.s.empty())
    return toEpoch(year, month, day, h, m, s);
  return std::nullopt;
}

// RFC 850 after "Sunday,": " 06-Nov-94 08:49:37 GMT". A two-digit year is read with a fixed
// pivot (00-69 -> 20xx), which keeps the parser pure; §5.6.7's "more than 50 years in the
// future" rule would move 70-75 to 20xx today, for a form no sender has used in decades.
std::optional<int64_t> rfc850Date(Cursor c) {
  int yy = 0, month = 0, day = 0, h = 0, m = 0, s = 0;
  if (c.literal(" ") && c.number(2, day) && c.literal("-") && c.month(month) && c.literal("-") &&
      c.number(2, yy) && c.literal(" ") && c.time(h, m, s) && c.literal(" GMT") && c.s.empty())
    return toEpoch(yy < 70 ? 2000 + yy : 1900 + yy, month, day, h, m, s);
  return std::nullopt;
}

// asctime after "Sun ": "Nov  6 08:49:37 1994" (a one-digit day is padded with a space).
std::optional<int64_t> asctimeDate(Cursor c) {
  int year = 0, month = 0, day = 0, h = 0, m = 0, s = 0;
  if (!c.month(month) || !c.literal(" ")) return std::nullopt;
  if (c.literal(" ") ? !c.number(1, day) : !c.number(2, day)) return std::nullopt;
  if (c.literal(" ") && c.time(h, m, s) && c.literal(" ") && c.number(4, year) && c.s.empty())
    return toEpoch(year, month, day, h, m, s);
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> parseHttpDate(std::string_view text) {
  text = ascii::trimOws(text);
  const size_t comma = text.find(',');
  if (comma == 3 && isLetters(text.substr(0, 3))) return imfFixdate({text.substr(4)});
  if (comma != std::string_view::npos) {
    if (!isLetters(text.substr(0, comma))) return std::nullopt;
    return rfc850Date({text.substr(comma + 1)});
  }
  if (text.size() < 4 || !isLetters(text.substr(0, 3)) || text[3] != ' ') return std::nullopt;
  return asctimeDate({text.substr(4)});
}

std::string formatHttpDate(int64_t seconds) {
  const int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  const int64_t rem = seconds - days * 86400;
  // Civil from days (Hinnant).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
  const int64_t weekday = ((days % 7) + 7) % 7;
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[weekday], d, kMonths[m - 1],
                     y, rem / 3600, (rem / 60) % 60, rem % 60);
}

}  // namespace gatehouse::http
