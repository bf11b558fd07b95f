#pragma once
// `gatehouse ctl [--admin URL] [--token-file F] [-c CONFIG] [--json] COMMAND`: the admin API
// from the command line (INTERFACE.md). Each command is one request and a way to show its
// answer to a person; --json prints the answer as it came, for scripts.
//
// Where it connects and with which token, first found wins:
//   address: --admin, then admin.address of -c CONFIG, then http://127.0.0.1:9901
//   token:   --token-file, then the token of -c CONFIG, then $GATEHOUSE_ADMIN_TOKEN
// Exit codes: 0 done; 1 refused or failed (a non-2xx answer, no answer; why on stderr);
// 2 usage (bad arguments, no token to send).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "proxy/base/result.h"

namespace gatehouse::admin {

class AdminClient;

class CtlCommand {
 public:
  static constexpr int kDone = 0, kFailed = 1, kUsage = 2;

  // Adds `ctl` and its commands to `app`; the options bind to this object, which must outlive
  // app.parse() and run().
  explicit CtlCommand(CLI::App& app);
  CtlCommand(const CtlCommand&) = delete;
  CtlCommand& operator=(const CtlCommand&) = delete;

  bool chosen() const { return ctl_->parsed(); }
  // After app.parse(): runs the chosen command and returns the exit code.
  int run() const;

 private:
  // A person's view of a 2xx answer's JSON.
  using Render = std::function<std::string(const nlohmann::json&)>;
  struct Command {
    CLI::App* app;
    std::string method;
    std::function<std::string()> path;  // called after parsing: may use the command's arguments
    std::function<std::string()> body;  // empty function: no body
    Render render;
    // After a 2xx answer (and its rendering), e.g. `drain --wait`: the exit code.
    std::function<int(const AdminClient&)> then;
    // After a 2xx answer: an exit code from its content (0 goes on to `then`), e.g. a purge
    // that matched nothing is 1.
    std::function<int(const nlohmann::json&)> verdict;
    // Instead of one request and its answer (ctl tail, ctl top): runs the command itself.
    std::function<int(const AdminClient&)> custom;
  };

  // Adds one command under `parent` (ctl itself, or a group such as `read-only`). A new command
  // is one call, e.g.
  //   add(*ctl_, "backends", "list pools and servers", "GET", [] { return "/backends"; }, {},
  //       renderBackends);
  CLI::App* add(CLI::App& parent, const std::string& name, const std::string& help,
                std::string method, std::function<std::string()> path,
                std::function<std::string()> body, Render render);
  int call(const Command& command, AdminClient& client) const;
  // backend_commands.cc: backends, drain, ready, maint, pause, resume.
  void addBackendCommands();
  // Polls `path` until `done(answer)` or --wait runs out: kDone or kFailed.
  int waitFor(const AdminClient& client, const std::string& what, const std::string& path,
              const std::function<bool(const nlohmann::json&)>& done,
              const std::function<std::string(const nlohmann::json&)>& pending) const;
  Result<AdminClient> connect() const;

  CLI::App* ctl_;
  std::string admin_url_;
  std::string token_file_;
  std::string config_path_;
  bool json_ = false;
  // Arguments of the cache commands (cache_commands.cc).
  void addCacheCommands();
  std::string purge_url_;
  std::string ban_prefix_;
  std::string ban_tag_;
  std::string target_;    // POOL/SERVER, POOL, or empty (backends)
  std::string wait_;      // --wait DURATION, as given; empty: do not wait
  uint32_t weight_ = 0;   // ctl weight POOL/SERVER N
  std::string reason_;    // read-only on --reason
  std::string message_;   // read-only on --message
  bool cluster_ = false;  // status --cluster
  // traffic_commands.cc: tail and top, which stream GET /tail.
  void addTrafficCommands();
  std::string tailQuery() const;
  int runTail(const AdminClient& client) const;
  int runTop(const AdminClient& client) const;
  struct TailOptions {
    std::string filter;  // status>=500
    std::string path;
    std::string server;
    std::string cache;
    std::string host;
    uint64_t count = 0;          // stop after this many entries; 0: no limit
    std::string duration;        // --for: stop after this long
    std::string window = "10s";  // top: the sliding window
  } tail_;
  std::vector<Command> commands_;
};

}  // namespace gatehouse::admin
