#include "proxy/upstream/backend_response_head.h"

#include <array>

#include "proxy/base/ascii.h"
#include "proxy/http/field_lines.h"

namespace gatehouse::upstream {
namespace {

// The field names a head's Connection fields list (RFC 9110 §7.6.1), less those removed anyway:
// "close" and the hop-by-hop names ("keep-alive"). Nearly always none.
constexpr size_t kMaxNamedFields = 8;
struct ConnectionFields {
  std::array<std::string_view, kMaxNamedFields> named;
  size_t count = 0;
  bool overflow = false;

  explicit ConnectionFields(const http::ResponseHeadView& view) {
    for (const http::HeaderView& h : view.headers) {
      if (h.name.size() != 10 || !ascii::iequals(h.name, "connection")) continue;
      ascii::forEachListElement(h.value, [&](std::string_view token) {
        if (ascii::iequals(token, "close") || http::isHopByHop(token)) return;
        if (count == kMaxNamedFields) {
          overflow = true;
          return;
        }
        named[count++] = token;
      });
    }
  }
  bool names(std::string_view field) const {
    for (size_t i = 0; i < count; ++i)
      if (ascii::iequals(named[i], field)) return true;
    return false;
  }
};

// End-to-end and not framing: what a final response forwards (no Upgrade: that is a 101's).
bool forwarded(std::string_view name, const ConnectionFields& connection) {
  if (http::isHopByHop(name)) return false;
  if (name.size() == 14 && ascii::iequals(name, "content-length")) return false;
  return !connection.names(name);
}

}  // namespace

bool ResponseFieldLines::assign(const http::ResponseHeadView& view) {
  const ConnectionFields connection(view);
  if (connection.overflow) return false;
  set_cookie_ = via_ = request_id_ = false;
  // Each line is at most two bytes longer than it was on the wire ("Name:value\n" gains a
  // space and a CR), so one resize holds them all and the lines are written in place.
  lines_.resize(view.head_length + 2 * view.headers.size());
  char* at = lines_.data();
  for (const http::HeaderView& h : view.headers) {
    if (!forwarded(h.name, connection)) continue;
    switch (h.name.size()) {
      case 3:
        via_ = via_ || ascii::iequals(h.name, "via");
        break;
      case 10:
        set_cookie_ = set_cookie_ || ascii::iequals(h.name, "set-cookie");
        break;
      case 12:
        request_id_ = request_id_ || ascii::iequals(h.name, "x-request-id");
        break;
      default:
        break;
    }
    http::writeFieldLine(at, h.name, h.value);
    at += h.name.size() + h.value.size() + 4;
  }
  lines_.resize(static_cast<size_t>(at - lines_.data()));
  return true;
}

void ResponseFieldLines::append(std::string_view name, std::string_view value) {
  http::appendFieldLine(lines_, name, value);
}

http::HeaderMap structuredHeaders(const http::ResponseHeadView& view, bool keep_upgrade) {
  http::HeaderMap headers;
  headers.reserve(view.headers.size() + 2);
  for (const http::HeaderView& h : view.headers)
    headers.add(h.name, h.value);
  http::removeHopByHop(headers, keep_upgrade);
  headers.remove("content-length");
  return headers;
}

void takeFieldLines(http::ResponseHead& head) {
  if (head.preformatted.empty()) return;
  http::HeaderMap fields;
  fields.reserve(head.headers.size() + 8);
  http::forEachFieldLine(head.preformatted, [&](std::string_view name, std::string_view value) {
    fields.add(name, value);
  });
  for (const http::Header& h : head.headers)
    fields.add(h.name, h.value);
  head.headers = std::move(fields);
  head.preformatted = {};
}

}  // namespace gatehouse::upstream
