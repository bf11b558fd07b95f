#pragma once
// Standard reason phrases (RFC 9110 §15).

#include <string_view>

namespace gatehouse::http {

std::string_view reasonPhrase(int status);

}  // namespace gatehouse::http
