// `listeners:` a list of addresses to accept on.
#include <fmt/format.h>

#include <map>
#include <utility>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

// Parts of INTERFACE.md's listener not built yet; rejected so that nobody believes TLS is on.
constexpr std::string_view kUnsupported[] = {"tls", "hsts", "redirect_https"};

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
                  /*required=*/true}},
                kUnsupported, diag);
        listeners.push_back(std::move(listener));
      },
      diag);
  if (is_list && count == 0) diag.error(v.mark, v.path, "at least one listener is required");
}

}  // namespace gatehouse::config
