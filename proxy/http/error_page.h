#pragma once
// The short pages gatehouse answers with when it, not a backend, produces an error.

#include <string>
#include <string_view>

#include "proxy/http/message.h"

namespace gatehouse::http {

// A complete head for an error page: Content-Type, Content-Length, Cache-Control: no-store.
ResponseHead errorHead(int status, size_t body_length);
// "<!doctype html>...<h1>502 Bad Gateway</h1><p>detail</p>..." with detail HTML-escaped.
std::string errorBody(int status, std::string_view detail);
// `text` with < > & " escaped, for HTML text and attribute values.
std::string escapeHtml(std::string_view text);

}  // namespace gatehouse::http
