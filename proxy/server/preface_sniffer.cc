#include "proxy/server/preface_sniffer.h"

#include <algorithm>
#include <string_view>

namespace gatehouse::server {
namespace {
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
}

PrefaceSniffer::PrefaceSniffer(event_base* base, evutil_socket_t fd, Duration timeout,
                               OnDecided on_decided, OnFailed on_failed)
    : conn_(net::TcpConnection::adopt(base, fd, *this)),
      timer_(base, [this] { fail(); }),
      timeout_(timeout),
      on_decided_(std::move(on_decided)),
      on_failed_(std::move(on_failed)) {}

void PrefaceSniffer::start() {
  conn_->setReading(true);
  timer_.arm(timeout_);
}

void PrefaceSniffer::onReadable() {
  if (finished_) return;
  evbuffer* in = conn_->input();
  size_t n = std::min(evbuffer_get_length(in), kPreface.size());
  const char* data = reinterpret_cast<const char*>(evbuffer_pullup(in, static_cast<ssize_t>(n)));
  const bool matches = std::string_view(data, n) == kPreface.substr(0, n);
  if (matches && n < kPreface.size()) return;  // undecided: wait for more
  finished_ = true;
  timer_.cancel();
  conn_->setReading(false);
  on_decided_(this, std::move(conn_), matches);
}

void PrefaceSniffer::fail() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  conn_->close();
  on_failed_(this);
}

}  // namespace gatehouse::server
