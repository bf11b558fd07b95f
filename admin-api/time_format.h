#pragma once
// Times in admin answers: RFC 3339 in UTC, to the second ("2026-11-25T04:50:00Z"), which both
// people and `date -d` read.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::admin {

std::string rfc3339(std::chrono::system_clock::time_point t);
// The time rfc3339() wrote ("YYYY-MM-DDTHH:MM:SSZ", UTC), or nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

}  // namespace gatehouse::admin
