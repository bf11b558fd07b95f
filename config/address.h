#pragma once
// Listen and connect addresses as operators write them: "0.0.0.0:80", "[::1]:80",
// "localhost:8001". Only the syntax is checked; nothing is resolved at load time, so a config
// validates the same on a build box as in production.

#include <string_view>

#include "config/config.h"
#include "proxy/base/result.h"

namespace gatehouse::config {

// Accepts HOST:PORT where HOST is a name or IPv4 literal (letters, digits, '-', '.', '_') or a
// bracketed IPv6 literal, and PORT is 0..65535 in decimal. Brackets are removed from
// Address::host; Address::text keeps the input. The error message is the reason alone
// (`bad port "80x"`), for the caller to prefix with where it was found.
Result<Address> parseAddress(std::string_view text);

}  // namespace gatehouse::config
