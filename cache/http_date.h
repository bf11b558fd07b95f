#pragma once
// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the two obsolete forms a recipient must accept
// (RFC 850 and asctime). Times are seconds since the epoch, UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::cache {

std::optional<int64_t> parseHttpDate(std::string_view text);
// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string formatHttpDate(int64_t seconds);

}  // namespace gatehouse::cache
