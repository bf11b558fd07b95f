// `gatehouse check` warnings: a config that loads but is likely a mistake.
#include <fmt/format.h>

#include "config/loader.h"

namespace gatehouse::config {
namespace {

// 127.0.0.0/8, ::1 and localhost: where a plain-HTTP admin API is private to the host.
bool isLoopback(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost";
}

std::string origin(const Config& config, const std::string& key) {
  auto it = config.key_origins.find(key);
  return it != config.key_origins.end() ? it->second : config.source;
}

}  // namespace

std::vector<std::string> lintConfig(const Config& config) {
  std::vector<std::string> warnings;
  if (config.admin && !isLoopback(config.admin->address.host)) {
    warnings.push_back(fmt::format(
        "{}: admin.address: warning: {} is not a loopback address and the admin API speaks "
        "plain HTTP: its bearer token and every command cross the network in clear; listen on "
        "127.0.0.1 and reach it over SSH or a TLS-terminating tunnel",
        origin(config, "admin.address"), config.admin->address.text));
  }
  return warnings;
}

}  // namespace gatehouse::config
