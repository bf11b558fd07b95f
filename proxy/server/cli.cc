#include "proxy/server/cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "config/loader.h"
#include "proxy/server/server.h"
#include "proxy/server/snapshot.h"

namespace gatehouse::server {
namespace {

int check(const std::string& path) {
  auto config = config::loadConfigFile(path);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().message);
    return 1;
  }
  // What only building it tells: certificates parse and match their keys, backends resolve.
  auto snapshot = buildSnapshot(*config, std::make_shared<net::TicketKeys>());
  if (!snapshot) {
    fmt::print(stderr, "{}: {}\n", path, snapshot.error().message);
    return 1;
  }
  fmt::print("{}: ok\n", path);
  return 0;
}

int serve(const std::string& path) {
  auto config = config::loadConfigFile(path);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().message);
    return 1;
  }
  return server::run(std::move(*config));
}

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"gatehouse: reverse proxy, HTTP cache and load balancer in one process",
               "gatehouse"};
  app.set_version_flag("--version", GATEHOUSE_VERSION);
  app.require_subcommand(0, 1);
  std::string config_path;
  app.add_option("-c,--config", config_path, "configuration file (short form of `run -c`)");

  std::string run_path, check_path;
  CLI::App* run_cmd = app.add_subcommand("run", "serve with a configuration file");
  run_cmd->add_option("-c,--config", run_path, "configuration file")->required();
  CLI::App* check_cmd = app.add_subcommand("check", "validate a configuration file and exit");
  check_cmd->add_option("-c,--config", check_path, "configuration file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*run_cmd) return serve(run_path);
  if (*check_cmd) return check(check_path);
  if (!config_path.empty()) return serve(config_path);
  std::fputs(app.help().c_str(), stderr);
  return 2;
}

}  // namespace gatehouse::server
