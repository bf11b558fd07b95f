#pragma once
// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate out; in, IMF-fixdate and the two obsolete forms a
// recipient must accept (RFC 850 and asctime). Times are seconds since the epoch, UTC. The one
// copy of this rule: the cache (Date, Expires, Last-Modified) and static files (Last-Modified,
// If-Modified-Since, If-Range) both use it. Pure, no allocation when parsing; fuzzed
// (tests/fuzz/http_date_fuzz.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::http {

// The time `text` names, or nullopt when it is none of the three forms. OWS around the value is
// ignored. Day and month names match case-insensitively, as RFC 9111 §4.2 asks of caches; the
// day-name must have its form's shape (three letters, or a whole name in RFC 850) but is not
// checked against the date, which decides. A day the month does not have is no date.
std::optional<int64_t> parseHttpDate(std::string_view text);

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string formatHttpDate(int64_t seconds);

}  // namespace gatehouse::http
