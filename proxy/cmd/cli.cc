#include "proxy/cmd/cli.h"

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "admin-api/admin_server.h"
#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/ctl/ctl_command.h"
#include "config/loader.h"
#include "proxy/base/log.h"
#include "proxy/server/certificate_expiry.h"
#include "proxy/server/server.h"
#include "proxy/server/snapshot.h"
#include "proxy/static_files/asset_versions.h"

namespace gatehouse::cmd {
namespace {

// Certificates that expired or expire within server::kExpiryWarning: warnings, except an
// expired one under --strict. Returns the number of errors.
int checkCertificates(const server::Snapshot& snapshot, bool strict) {
  int errors = 0;
  const auto now = std::chrono::system_clock::now();
  for (const server::CertificateStatus& cert : server::certificateStatuses(snapshot)) {
    auto message = server::expiryMessage(cert, now);
    if (!message) continue;
    const bool error = strict && server::expiryOf(cert, now) == server::Expiry::Expired;
    fmt::print(stderr, "{}: {}{}\n", cert.origin, error ? "" : "warning: ", *message);
    errors += error ? 1 : 0;
  }
  return errors;
}

int check(const std::string& path, bool strict) {
  auto config = config::loadConfigFile(path);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().message);
    return 1;
  }
  // What only building it tells: certificates parse and match their keys, backends resolve.
  auto snapshot = server::buildSnapshot(*config, std::make_shared<net::TicketKeys>(), nullptr,
                                        /*checking=*/true);
  if (!snapshot) {
    fmt::print(stderr, "{}\n", snapshot.error().message);
    return 1;
  }
  // rediss://: the CA and client certificate files parse, and the key matches.
  if ((*config)->cluster && (*config)->cluster->use_tls) {
    auto tls = cluster::makeRedisTlsContext(*(*config)->cluster);
    if (!tls) {
      fmt::print(stderr, "{}\n", tls.error().message);
      return 1;
    }
  }
  int errors = checkCertificates(**snapshot, strict);
  for (const std::string& warning : config::lintConfig(**config)) {
    fmt::print(stderr, "{}\n", warning);
  }
  if (errors > 0) return 1;
  fmt::print("{}: ok\n", path);
  return 0;
}

int serve(const std::string& path) {
  // A reload (SIGHUP) or a log reopen (SIGUSR1) that arrives while the server still loads its
  // config and binds must not kill it (their default action): ignored until the main loop
  // installs its handlers. What they ask for is moot then: the config and the log files are
  // being read for the first time. (Only `run`: a `ctl tail` must still end with its terminal.)
  signal(SIGHUP, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  auto config = config::loadConfigFile(path);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().message);
    return 1;
  }
  for (const std::string& warning : config::lintConfig(**config))
    log::warn("{}", warning);
  // The admin API starts on the main loop when the config has an `admin:` section.
  return server::run(std::move(*config), admin::adminExtension());
}

// `gatehouse assets manifest DIR`: the manifest a versioned `static:` site serves for DIR, for
// build steps that render templates before deploying.
int assetsManifest(const std::string& dir, const std::string& prefix) {
  auto files = static_files::scanTree(dir, /*allow_dotfiles=*/false, /*allow_symlinks=*/false);
  if (!files) {
    fmt::print(stderr, "{}\n", files.error().message);
    return 1;
  }
  std::map<std::string, std::string> hashes;
  for (const static_files::ScannedFile& f : *files)
    hashes.emplace(f.relative, f.hash);
  fmt::print("{}", static_files::manifestJson(hashes, prefix));
  return 0;
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
  bool check_strict = false;
  check_cmd->add_flag("--strict", check_strict,
                      "also fail on what is only a warning otherwise (an expired certificate)");
  admin::CtlCommand ctl(app);
  std::string assets_dir, assets_prefix;
  CLI::App* assets_cmd = app.add_subcommand("assets", "static file tools");
  assets_cmd->require_subcommand(1);
  CLI::App* manifest_cmd = assets_cmd->add_subcommand(
      "manifest", "print the JSON manifest of content-hashed static files under DIR");
  manifest_cmd->add_option("DIR", assets_dir, "the folder a `static:` root will serve")->required();
  manifest_cmd->add_option("--prefix", assets_prefix,
                           "URL prefix of the hashed names, e.g. /static/ (default: none)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is a usage error: exit 2, as
    // `ctl` documents and shell tools do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (ctl.chosen()) return ctl.run();
  if (*run_cmd) return serve(run_path);
  if (*check_cmd) return check(check_path, check_strict);
  if (*manifest_cmd) return assetsManifest(assets_dir, assets_prefix);
  if (!config_path.empty()) return serve(config_path);
  std::fputs(app.help().c_str(), stderr);
  return 2;
}

}  // namespace gatehouse::cmd
