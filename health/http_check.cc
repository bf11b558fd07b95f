#include "health/http_check.h"

#include <fmt/format.h>

#include <charconv>

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

HttpCheck::HttpCheck(net::EventLoop& loop, const config::HealthCheckConfig& config,
                     const Server& server, CheckDone done)
    : loop_(loop),
      config_(config),
      host_(config.host.empty() ? server.address().toString() : config.host),
      done_(std::move(done)),
      deadline_(loop.base(), [this] {
        finish({0, "timed out"});
      }) {
  conn_ = net::TcpConnection::connect(loop.base(), server.address(), config.timeout, *this);
  deadline_.arm(config.timeout);
}

HttpCheck::~HttpCheck() {
  if (conn_) conn_->close();
}

void HttpCheck::onConnected() {
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gatehouse-health-check\r\n"
      "Connection: close\r\n\r\n",
      config_.path, host_);
  evbuffer_add(conn_->output(), request.data(), request.size());
  conn_->setReading(true);
}

void HttpCheck::onReadable() {
  evbuffer* in = conn_->input();
  size_t eol_len = 0;
  evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, &eol_len, EVBUFFER_EOL_CRLF);
  if (eol.pos < 0) {
    if (evbuffer_get_length(in) > kMaxStatusLine) finish({0, "no status line"});
    return;
  }
  std::string line(static_cast<size_t>(eol.pos), '\0');
  evbuffer_copyout(in, line.data(), line.size());
  const int status = parseStatusLine(line);
  if (status < 0) {
    finish({0, "not an HTTP response"});
    return;
  }
  finish({status, {}});
}

void HttpCheck::onClose(net::TcpConnection::CloseReason reason) {
  using R = net::TcpConnection::CloseReason;
  switch (reason) {
    case R::ConnectFailed:
      finish({0, "connect failed"});
      break;
    case R::ConnectTimeout:
      finish({0, "connect timed out"});
      break;
    default:
      finish({0, "closed before a status line"});
  }
}

void HttpCheck::finish(CheckOutcome outcome) {
  if (finished_) return;
  finished_ = true;
  deadline_.cancel();
  if (conn_) {
    conn_->close();
    // We may be inside one of its callbacks: free it after this one returns.
    loop_.deferDelete(std::shared_ptr<net::TcpConnection>(std::move(conn_)));
  }
  // The checker frees this check only after the callback that finished it has returned.
  done_(std::move(outcome));
}

}  // namespace gatehouse::health
