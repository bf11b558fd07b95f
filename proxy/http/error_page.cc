#include "proxy/http/error_page.h"

#include <fmt/format.h>

#include "proxy/http/status.h"

namespace gatehouse::http {

ResponseHead errorHead(int status, size_t body_length) {
  ResponseHead head;
  head.status = status;
  head.headers.add("Content-Type", "text/html; charset=utf-8");
  head.headers.add("Cache-Control", "no-store");
  head.content_length = body_length;
  return head;
}

std::string escapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string errorBody(int status, std::string_view detail) {
  return fmt::format(
      "<!doctype html>\n<html><head><title>{0} {1}</title></head>\n"
      "<body><h1>{0} {1}</h1>\n<p>{2}</p>\n<hr><p>gatehouse</p></body></html>\n",
      status, reasonPhrase(status), escapeHtml(detail));
}

}  // namespace gatehouse::http
