#pragma once
// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in.

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::static_files {

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string formatHttpDate(std::time_t t);
// The time, or nullopt for anything that is not one of the three formats.
std::optional<std::time_t> parseHttpDate(std::string_view text);

}  // namespace gatehouse::static_files
