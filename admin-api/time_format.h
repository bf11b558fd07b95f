#pragma once
// Times in admin answers: RFC 3339 in UTC, to the second ("2026-11-25T04:50:00Z"), which both
// people and `date -d` read.

#include <chrono>
#include <string>

namespace gatehouse::admin {

std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace gatehouse::admin
