// `ctl tail` (varnishlog) and `ctl top` (varnishtop): both read GET /tail, the running process's
// access entries as JSON lines, filtered by the server.
//   ctl tail [--filter 'status>=500'] [--path PREFIX] [--server POOL/SERVER] [--cache WORD]
//            [--host HOST] [--count N] [--for DURATION] [--json]
//   ctl top  [--window 10s] [--for DURATION] (and the same filters)
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>

#include "admin-api/ctl/admin_client.h"
#include "admin-api/ctl/ctl_command.h"
#include "config/units.h"

namespace gatehouse::admin {
namespace {

using Clock = std::chrono::steady_clock;

std::string durationError(const std::string& value) {
  auto d = config::parseDuration(value);
  return d ? std::string() : d.error().message;
}

// RFC 3986 unreserved characters pass, everything else is %-escaped.
std::string queryEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
      out += c;
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

// Feeds whole lines of a byte stream to `each`.
class LineSplitter {
 public:
  template <typename F>
  bool feed(std::string_view data, F&& each) {
    pending_.append(data);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
      if (!each(std::string_view(pending_).substr(start, nl - start))) return false;
    pending_.erase(0, start);
    return true;
  }

 private:
  std::string pending_;
};

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "-";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

// 23:59:01 127.0.0.1 GET test.local/hello 200 5B 0.4ms app/a1 hit
std::string humanLine(const nlohmann::json& e) {
  std::string time = str(e, "time");
  if (time.size() >= 19) time = time.substr(11, 8);
  std::string cache = str(e, "cache");
  if (cache != "-") {
    // "gatehouse; hit" / "gatehouse; fwd=uri-miss; stored": the part after the cache's name.
    const size_t semi = cache.find("; ");
    if (semi != std::string::npos) cache = cache.substr(semi + 2);
  }
  return fmt::format("{} {} {} {}{} {} {}B {}ms {} {}\n", time, str(e, "client"), str(e, "method"),
                     str(e, "host"), str(e, "target"), str(e, "status"), str(e, "bytes"),
                     str(e, "ms"), str(e, "server"), cache);
}

std::optional<Clock::time_point> deadlineOf(const std::string& duration) {
  if (duration.empty()) return std::nullopt;
  return Clock::now() + config::parseDuration(duration).value();
}

int streamFailed(const Result<AdminReply>& reply, const char* name) {
  if (!reply) {
    fmt::print(stderr, "gatehouse ctl {}: {}\n", name, reply.error().message);
    return CtlCommand::kFailed;
  }
  if (reply->status != 200) {
    auto j = nlohmann::json::parse(reply->body, nullptr, false);
    fmt::print(stderr, "gatehouse ctl {}: {}: {}\n", name, reply->status,
               j.is_object() && j.contains("error") ? str(j, "error") : reply->body);
    return CtlCommand::kFailed;
  }
  return CtlCommand::kDone;
}

// The busiest keys over the window, most first.
std::string topTable(const char* title, const std::map<std::string, uint64_t>& counts,
                     double seconds) {
  std::vector<std::pair<uint64_t, std::string>> rows;
  for (const auto& [key, n] : counts)
    rows.emplace_back(n, key);
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string out = fmt::format("{:>8}  {}\n", "REQ/S", title);
  for (size_t i = 0; i < rows.size() && i < 10; ++i)
    out +=
        fmt::format("{:>8.1f}  {}\n", static_cast<double>(rows[i].first) / seconds, rows[i].second);
  return out;
}

}  // namespace

std::string CtlCommand::tailQuery() const {
  std::string q;
  const auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    q += (q.empty() ? "?" : "&") + std::string(name) + "=" + queryEscape(value);
  };
  add("filter", tail_.filter);
  add("path", tail_.path);
  add("server", tail_.server);
  add("cache", tail_.cache);
  add("host", tail_.host);
  return "/tail" + q;
}

int CtlCommand::runTail(const AdminClient& client) const {
  uint64_t seen = 0;
  LineSplitter lines;
  auto reply = client.stream(
      tailQuery(),
      [&](std::string_view data) {
        return lines.feed(data, [&](std::string_view line) {
          if (json_) {
            fmt::print("{}\n", line);
          } else {
            auto e = nlohmann::json::parse(line, nullptr, false);
            if (e.is_object() && e.contains("dropped"))
              fmt::print(stderr, "gatehouse ctl tail: {} entries dropped (reading too slowly)\n",
                         str(e, "dropped"));
            else if (e.is_object())
              fmt::print("{}", humanLine(e));
          }
          std::fflush(stdout);
          return tail_.count == 0 || ++seen < tail_.count;
        });
      },
      deadlineOf(tail_.duration));
  return streamFailed(reply, "tail");
}

int CtlCommand::runTop(const AdminClient& client) const {
  const auto window = std::chrono::milliseconds(config::parseDuration(tail_.window).value());
  struct Seen {
    Clock::time_point at;
    std::string url, client, server;
  };
  std::deque<Seen> recent;
  std::map<std::string, uint64_t> urls, clients, servers;
  const auto forget = [&](Clock::time_point now) {
    while (!recent.empty() && now - recent.front().at > window) {
      const Seen& s = recent.front();
      if (--urls[s.url] == 0) urls.erase(s.url);
      if (--clients[s.client] == 0) clients.erase(s.client);
      if (!s.server.empty() && --servers[s.server] == 0) servers.erase(s.server);
      recent.pop_front();
    }
  };
  const Clock::time_point started = Clock::now();
  const bool interactive = tail_.duration.empty() && isatty(STDOUT_FILENO);
  const auto render = [&] {
    const double seconds =
        std::max(1.0, std::min(std::chrono::duration<double>(window).count(),
                               std::chrono::duration<double>(Clock::now() - started).count()));
    std::string out = interactive ? "\033[H\033[2J" : "";
    out += fmt::format("gatehouse top: the last {:.0f}s\n\n", seconds);
    out += topTable("URL", urls, seconds) + "\n" + topTable("CLIENT", clients, seconds) + "\n" +
           topTable("SERVER", servers, seconds);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  };
  Clock::time_point last_render = started;
  LineSplitter lines;
  auto reply = client.stream(
      tailQuery(),
      [&](std::string_view data) {
        return lines.feed(data, [&](std::string_view line) {
          auto e = nlohmann::json::parse(line, nullptr, false);
          if (!e.is_object() || !e.contains("target")) return true;
          const auto now = Clock::now();
          Seen s{now, str(e, "host") + str(e, "target"), str(e, "client"),
                 e.value("server", std::string())};
          ++urls[s.url];
          ++clients[s.client];
          if (!s.server.empty()) ++servers[s.server];
          recent.push_back(std::move(s));
          forget(now);
          if (interactive && now - last_render >= std::chrono::seconds(1)) {
            render();
            last_render = now;
          }
          return true;
        });
      },
      deadlineOf(tail_.duration));
  if (const int rc = streamFailed(reply, "top"); rc != kDone) return rc;
  forget(Clock::now());
  render();
  return kDone;
}

void CtlCommand::addTrafficCommands() {
  const auto filters = [this](CLI::App* cmd) {
    cmd->add_option("--filter", tail_.filter, "a status test: 'status>=500', 'status=404'");
    cmd->add_option("--path", tail_.path, "only targets starting with PREFIX");
    cmd->add_option("--server", tail_.server, "only what POOL/SERVER answered");
    cmd->add_option("--cache", tail_.cache, "only Cache-Status containing WORD (hit, miss, ...)");
    cmd->add_option("--host", tail_.host, "only this Host");
    cmd->add_option("--for", tail_.duration, "stop after DURATION (default: until interrupted)")
        ->check(CLI::Validator(durationError, "DURATION"));
  };
  CLI::App* tail =
      add(*ctl_, "tail", "stream the access entries of the running process (not the log files)",
          "GET", [this] { return tailQuery(); }, {}, {});
  filters(tail);
  tail->add_option("--count", tail_.count, "stop after N entries");
  commands_.back().custom = [this](const AdminClient& client) { return runTail(client); };

  CLI::App* top =
      add(*ctl_, "top", "the busiest URLs, clients and backend servers over a sliding window",
          "GET", [this] { return tailQuery(); }, {}, {});
  filters(top);
  top->add_option("--window", tail_.window, "the sliding window (default 10s)")
      ->check(CLI::Validator(durationError, "DURATION"));
  commands_.back().custom = [this](const AdminClient& client) { return runTop(client); };
}

}  // namespace gatehouse::admin
