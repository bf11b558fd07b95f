#include "config/address.h"

#include <fmt/format.h>

#include <charconv>

namespace gatehouse::config {
namespace {

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// Hex digits, ':' and '.' (for ::ffff:1.2.3.4), and a zone after '%' (fe80::1%eth0).
bool isIpv6Literal(std::string_view s) {
  size_t zone = s.find('%');
  std::string_view addr = s.substr(0, zone);
  if (addr.find(':') == std::string_view::npos) return false;
  for (char c : addr) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':' && c != '.') return false;
  }
  if (zone == std::string_view::npos) return true;
  std::string_view name = s.substr(zone + 1);
  if (name.empty()) return false;
  for (char c : name)
    if (!isNameChar(c)) return false;
  return true;
}

Result<uint16_t> parsePort(std::string_view text) {
  if (text.empty()) return Error{"missing port"};
  uint32_t port = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, port);
  if (ec != std::errc() || rest != end) return Error{fmt::format("bad port \"{}\"", text)};
  if (port > 65535) return Error{fmt::format("bad port \"{}\" (must be 0 to 65535)", text)};
  return static_cast<uint16_t>(port);
}

}  // namespace

Result<Address> parseAddress(std::string_view text) {
  if (text.empty()) return Error{"empty address (like 127.0.0.1:8080)"};
  if (text.find("://") != std::string_view::npos)
    return Error{fmt::format("expected HOST:PORT, not a URL: \"{}\"", text)};
  Address a;
  a.text = std::string(text);
  std::string_view port_text;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return Error{fmt::format("missing \"]\" in \"{}\"", text)};
    std::string_view host = text.substr(1, close - 1);
    if (!isIpv6Literal(host)) return Error{fmt::format("bad IPv6 address \"{}\"", host)};
    std::string_view after = text.substr(close + 1);
    if (after.empty() || after.front() != ':')
      return Error{fmt::format("missing port in \"{}\" (like [::1]:8080)", text)};
    a.host = std::string(host);
    port_text = after.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return Error{fmt::format("missing port in \"{}\" (like {}:8080)", text, text)};
    std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return Error{fmt::format("IPv6 address needs brackets, like [::1]:8080; got \"{}\"", text)};
    if (host.empty())
      return Error{
          fmt::format("missing host in \"{}\" (0.0.0.0{} listens on every address)", text, text)};
    for (char c : host)
      if (!isNameChar(c)) return Error{fmt::format("bad host \"{}\"", host)};
    a.host = std::string(host);
    port_text = text.substr(colon + 1);
  }
  auto port = parsePort(port_text);
  if (!port) return port.error();
  a.port = *port;
  return a;
}

}  // namespace gatehouse::config
