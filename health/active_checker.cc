#include "health/active_checker.h"

#include <fmt/format.h>

#include <charconv>

#include "proxy/base/log.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::health {
namespace {
// A status line longer than this is not an HTTP server answering.
constexpr size_t kMaxStatusLine = 1024;

// "HTTP/1.1 200 OK" -> 200; -1 when it is not a status line.
int parseStatusLine(std::string_view line) {
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') return -1;
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || end != line.data() + 12 || status < 100 || status > 599) return -1;
  return status;
}
}  // namespace

// One server's checks: a timer for the next probe, at most one probe connection at a time.
class ActiveChecker::Probe final : private net::TcpConnection::Handler {
 public:
  Probe(ActiveChecker& checker, std::shared_ptr<Server> server)
      : checker_(checker),
        server_(std::move(server)),
        rise_fall_(server_->health(), checker.config_.rise, checker.config_.fall,
                   checker.clock_.now()),
        next_(checker.loop_.base(), [this] { start(); }),
        deadline_(checker.loop_.base(), [this] { finish(false, "timed out"); }) {
    host_ = checker.config_.host.empty() ? server_->address().toString() : checker.config_.host;
  }
  ~Probe() override {
    if (conn_) conn_->close();
  }

  void schedule(Duration after) { next_.arm(after); }

 private:
  void start() {
    // Passive checks may have ejected the server since the last probe: from now on it needs
    // `rise` passes like any down server.
    if (server_->health() == Health::Down && rise_fall_.health() == Health::Up)
      rise_fall_.ejected(checker_.clock_.now());
    started_ = checker_.clock_.now();
    conn_ = net::TcpConnection::connect(checker_.loop_.base(), server_->address(),
                                        checker_.config_.timeout, *this);
    deadline_.arm(checker_.config_.timeout);
  }

  void onConnected() override {
    const std::string request = fmt::format(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gatehouse-health-check\r\n"
        "Connection: close\r\n\r\n",
        checker_.config_.path, host_);
    evbuffer_add(conn_->output(), request.data(), request.size());
    conn_->setReading(true);
  }

  void onReadable() override {
    evbuffer* in = conn_->input();
    size_t eol_len = 0;
    evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, &eol_len, EVBUFFER_EOL_CRLF);
    if (eol.pos < 0) {
      if (evbuffer_get_length(in) > kMaxStatusLine) finish(false, "no status line");
      return;
    }
    std::string line(static_cast<size_t>(eol.pos), '\0');
    evbuffer_copyout(in, line.data(), line.size());
    const int status = parseStatusLine(line);
    if (status < 0) {
      finish(false, "not an HTTP response");
      return;
    }
    if (checker_.expected(status))
      finish(true, fmt::format("status {}", status));
    else
      finish(false, fmt::format("status {}", status));
  }

  void onDrained() override {}

  void onClose(net::TcpConnection::CloseReason reason) override {
    using R = net::TcpConnection::CloseReason;
    switch (reason) {
      case R::ConnectFailed:
        finish(false, "connect failed");
        break;
      case R::ConnectTimeout:
        finish(false, "connect timed out");
        break;
      default:
        finish(false, "closed before a status line");
    }
  }

  void finish(bool passed, std::string why) {
    deadline_.cancel();
    if (conn_) {
      conn_->close();
      // We may be inside one of its callbacks: free it after this one returns.
      checker_.loop_.deferDelete(std::shared_ptr<net::TcpConnection>(std::move(conn_)));
    }
    (passed ? server_->checks_passed_total : server_->checks_failed_total)
        .fetch_add(1, std::memory_order_relaxed);
    const Clock::TimePoint now = checker_.clock_.now();
    if (rise_fall_.record(passed, now)) {
      const Health h = rise_fall_.health();
      server_->setHealth(h, now);
      if (h == Health::Up)
        log::info("backend {}: health up ({} checks passed: {})", server_->label(),
                  checker_.config_.rise, why);
      else
        log::warn("backend {}: health down ({} checks failed: {})", server_->label(),
                  checker_.config_.fall, why);
      if (checker_.on_transition_) checker_.on_transition_(*server_, h);
    } else if (!passed) {
      log::debug("backend {}: check failed: {}", server_->label(), why);
    }
    // The next probe an interval after this one started, not after it ended: a timeout does
    // not slow the checks down.
    const Duration spent = std::chrono::duration_cast<Duration>(now - started_);
    const Duration next = checker_.jittered(checker_.config_.interval, 0.9, 1.1) - spent;
    schedule(std::max(next, Duration(1)));
  }

  ActiveChecker& checker_;
  std::shared_ptr<Server> server_;
  RiseFall rise_fall_;
  std::string host_;
  net::Timer next_;
  net::Timer deadline_;
  std::unique_ptr<net::TcpConnection> conn_;
  Clock::TimePoint started_;
};

ActiveChecker::ActiveChecker(net::EventLoop& loop, const config::HealthCheckConfig& config,
                             std::vector<std::shared_ptr<Server>> servers,
                             OnTransition on_transition, const Clock& clock)
    : loop_(loop),
      config_(config),
      on_transition_(std::move(on_transition)),
      clock_(clock),
      random_(std::random_device{}()) {
  for (auto& server : servers) {
    probes_.push_back(std::make_unique<Probe>(*this, std::move(server)));
    probes_.back()->schedule(jittered(config_.interval, 0.0, 1.0));
  }
}

ActiveChecker::~ActiveChecker() = default;

bool ActiveChecker::expected(int status) const {
  for (const config::StatusRange& r : config_.expect)
    if (status >= r.low && status <= r.high) return true;
  return false;
}

Duration ActiveChecker::jittered(Duration base, double low, double high) {
  std::uniform_real_distribution<double> factor(low, high);
  return Duration(static_cast<int64_t>(static_cast<double>(base.count()) * factor(random_)));
}

}  // namespace gatehouse::health
