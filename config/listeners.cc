// `listeners:` a list of addresses to accept on.
#include <fmt/format.h>

#include <map>
#include <optional>
#include <utility>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

void readListeners(const Value& v, std::vector<ListenerConfig>& listeners, Diagnostics& diag) {
  // (host, port) -> where it was first given. Port 0 asks the kernel for a fresh port each time,
  // so repeating it is not a clash.
  std::map<std::pair<std::string, uint16_t>, YAML::Mark> seen;
  size_t count = 0;
  bool is_list = readList(
      v,
      [&](const Value& item) {
        ++count;
        ListenerConfig listener;
        listener.origin = fmt::format("{}:{}:{}: {}", diag.source(), item.mark.line + 1,
                                      item.mark.column + 1, item.path);
        // Checked after the map: keys may come in any order.
        std::optional<Value> redirect_v, hsts_v, h2c_v;
        readMap(item,
                {{"address",
                  [&](const Value& a) {
                    auto address = readAddress(a, diag);
                    if (!address) return;
                    if (address->port != 0) {
                      auto [first, inserted] =
                          seen.emplace(std::pair(lowercase(address->host), address->port), a.mark);
                      if (!inserted) {
                        diag.error(a.mark, a.path,
                                   fmt::format("duplicate listener address \"{}\" (first at {}:{})",
                                               address->text, first->second.line + 1,
                                               first->second.column + 1));
                      }
                    }
                    listener.address = std::move(*address);
                  },
                  /*required=*/true},
                 {"tls",
                  [&](const Value& t) {
                    listener.tls.emplace();
                    readTls(t, *listener.tls, diag);
                  }},
                 // true (to port 443), false, or the https port the redirect names.
                 {"redirect_https",
                  [&](const Value& b) {
                    const bool is_port = b.node.IsScalar() && !b.node.Scalar().empty() &&
                                         b.node.Scalar().front() >= '0' &&
                                         b.node.Scalar().front() <= '9';
                    if (is_port) {
                      if (auto port = readUint(b, 1, 65535, diag)) {
                        listener.redirect_https = true;
                        listener.redirect_https_port = static_cast<uint16_t>(*port);
                      }
                    } else if (auto on = readBool(b, diag)) {
                      listener.redirect_https = *on;
                    }
                    if (listener.redirect_https) redirect_v = b;
                  }},
                 {"hsts",
                  [&](const Value& n) {
                    if (auto age = readUint(n, 0, 63072000, diag)) listener.hsts = *age;
                    if (listener.hsts) hsts_v = n;
                  }},
                 {"h2c",
                  [&](const Value& b) {
                    if (auto on = readBool(b, diag)) listener.h2c = *on;
                    if (listener.h2c) h2c_v = b;
                  }}},
                {}, diag);
        if (redirect_v && listener.tls)
          diag.error(redirect_v->mark, redirect_v->path, "only for plain (non-TLS) listeners");
        if (hsts_v && !listener.tls)
          diag.error(hsts_v->mark, hsts_v->path, "only for TLS listeners");
        if (h2c_v && listener.tls)
          diag.error(h2c_v->mark, h2c_v->path, "only for plain listeners (TLS uses ALPN)");
        listeners.push_back(std::move(listener));
      },
      diag);
  if (is_list && count == 0) diag.error(v.mark, v.path, "at least one listener is required");
}

}  // namespace gatehouse::config
