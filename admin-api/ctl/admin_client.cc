#include "admin-api/ctl/admin_client.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

#include "proxy/base/ascii.h"
#include "proxy/http/chunked_decoder.h"
#include "proxy/http/http1_parser.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::admin {

AdminClient::Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

using Clock = std::chrono::steady_clock;
// Admin answers are small (the largest is /metrics); more than this is not our server.
constexpr size_t kMaxReplyBytes = size_t{16} << 20;

// Waits until `fd` is ready for `events` or the deadline passes (false).
bool waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // the next syscall reports the error
  }
}

Result<void> connectTo(int fd, const net::SocketAddress& to, const AdminAddress& address,
                       Duration timeout) {
  if (::connect(fd, to.get(), to.length()) == 0) return {};
  if (errno != EINPROGRESS)
    return Error{fmt::format("cannot connect to {}: {}", address.text, std::strerror(errno))};
  if (!waitFor(fd, POLLOUT, Clock::now() + timeout))
    return Error{
        fmt::format("cannot connect to {}: timed out after {} ms", address.text, timeout.count())};
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0)
    return Error{fmt::format("cannot connect to {}: {}", address.text, std::strerror(error))};
  return {};
}

Result<void> sendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFor(fd, POLLOUT, deadline)) return Error{"timed out sending the request"};
    } else {
      return Error{fmt::format("sending the request: {}", std::strerror(errno))};
    }
  }
  return {};
}

// The reply once `in` holds all of it, nullopt while more is needed, or an error. Re-parses
// from the start each time: replies are small, and the parser is made for that.
std::optional<Result<AdminReply>> tryReply(std::string_view in, bool eof, std::string_view method) {
  http::Http1Parser parser;
  size_t start = 0;
  for (;;) {
    auto outcome = parser.parseResponse(in.substr(start), method);
    if (outcome.state == http::ParseState::Incomplete) return std::nullopt;
    if (outcome.state == http::ParseState::Error)
      return Result<AdminReply>(
          Error{fmt::format("bad response: {}", http::describe(outcome.error))});
    const http::ResponseHeadView& head = outcome.head;
    if (head.status >= 100 && head.status < 200) {  // interim: the answer follows
      start += head.head_length;
      continue;
    }
    AdminReply reply;
    reply.status = head.status;
    for (const http::HeaderView& h : head.headers)
      if (ascii::iequals(h.name, "content-type")) reply.content_type = std::string(h.value);
    std::string_view body = in.substr(start + head.head_length);
    switch (head.framing) {
      case http::BodyFraming::None:
        break;
      case http::BodyFraming::ContentLength:
        if (body.size() < head.content_length) return std::nullopt;
        reply.body = std::string(body.substr(0, head.content_length));
        break;
      case http::BodyFraming::UntilClose:
        if (!eof) return std::nullopt;
        reply.body = std::string(body);
        break;
      case http::BodyFraming::Chunked: {
        http::ChunkedDecoder decoder;
        while (!decoder.done()) {
          auto step = decoder.decode(body);
          if (step.error != http::ParseError::None)
            return Result<AdminReply>(
                Error{fmt::format("bad response body: {}", http::describe(step.error))});
          reply.body.append(step.data);
          body.remove_prefix(step.consumed);
          if (!decoder.done() && body.empty()) return std::nullopt;
        }
        break;
      }
    }
    return Result<AdminReply>(std::move(reply));
  }
}

std::string hostField(const AdminAddress& a) {
  if (a.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", a.host, a.port);
  return fmt::format("{}:{}", a.host, a.port);
}

}  // namespace

Result<AdminAddress> parseAdminAddress(std::string_view url) {
  AdminAddress out;
  out.text = std::string(url);
  std::string_view rest = url;
  if (rest.starts_with("https://"))
    return Error{fmt::format("{}: the admin API speaks plain HTTP; use http://", url)};
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/")
      return Error{fmt::format("{}: give the address alone, without a path", url)};
    rest = rest.substr(0, slash);
  }
  size_t colon = rest.rfind(':');
  std::string_view host = colon == std::string_view::npos ? rest : rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (colon == std::string_view::npos || host.empty())
    return Error{fmt::format("{}: expected HOST:PORT or http://HOST:PORT", url)};
  std::string_view port = rest.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535)
    return Error{fmt::format("{}: bad port \"{}\"", url, port)};
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

Result<std::unique_ptr<AdminClient::Socket>> AdminClient::open(std::string_view method,
                                                               std::string_view path,
                                                               std::string_view body) const {
  auto to = net::SocketAddress::resolve(address_.host, address_.port);
  if (!to) return Error{fmt::format("cannot resolve {}: {}", address_.text, to.error().message)};
  auto fd = std::make_unique<Socket>(
      ::socket(to->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd->get() < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  if (auto connected = connectTo(fd->get(), *to, address_, timeouts_.connect); !connected)
    return connected.error();

  std::string request = fmt::format(
      "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: gatehouse-ctl/{}\r\n"
      "Accept: application/json\r\nConnection: close\r\n",
      method, path, hostField(address_), GATEHOUSE_VERSION);
  if (!token_.empty()) request += fmt::format("Authorization: Bearer {}\r\n", token_);
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    request += fmt::format("Content-Length: {}\r\n", body.size());
  request += "\r\n";
  request += body;
  if (auto sent = sendAll(fd->get(), request, Clock::now() + timeouts_.response); !sent)
    return Error{fmt::format("{}: {}", address_.text, sent.error().message)};
  return fd;
}

Result<AdminReply> AdminClient::send(std::string_view method, std::string_view path,
                                     std::string_view body) const {
  auto opened = open(method, path, body);
  if (!opened) return opened.error();
  const Socket& fd = **opened;
  const Clock::time_point deadline = Clock::now() + timeouts_.response;
  std::string in;
  char buffer[16384];
  for (bool eof = false;;) {
    if (auto reply = tryReply(in, eof, method)) {
      if (!*reply) return Error{fmt::format("{}: {}", address_.text, reply->error().message)};
      return std::move(*reply);
    }
    if (eof)
      return Error{
          fmt::format("{}: the connection closed before a complete response", address_.text)};
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      in.append(buffer, static_cast<size_t>(n));
      if (in.size() > kMaxReplyBytes)
        return Error{
            fmt::format("{}: response larger than {} MiB", address_.text, kMaxReplyBytes >> 20)};
    } else if (n == 0) {
      eof = true;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!waitFor(fd.get(), POLLIN, deadline))
        return Error{
            fmt::format("{}: no response within {} ms", address_.text, timeouts_.response.count())};
    } else {
      return Error{fmt::format("{}: {}", address_.text, std::strerror(errno))};
    }
  }
}

Result<AdminReply> AdminClient::stream(std::string_view path, const OnData& on_data,
                                       std::optional<Clock::time_point> until) const {
  auto opened = open("GET", path, {});
  if (!opened) return opened.error();
  const Socket& fd = **opened;
  std::string in;
  bool streaming = false;  // the 200 head has been read: `in` holds chunked body bytes
  http::ChunkedDecoder decoder;
  char buffer[16384];
  for (;;) {
    if (!streaming) {
      http::Http1Parser parser;
      auto outcome = parser.parseResponse(in, "GET");
      if (outcome.state == http::ParseState::Error)
        return Error{
            fmt::format("{}: bad response: {}", address_.text, http::describe(outcome.error))};
      if (outcome.state == http::ParseState::Complete) {
        if (outcome.head.status != 200 || outcome.head.framing != http::BodyFraming::Chunked) {
          // An error answer (400 for a bad filter, 401): read it whole, as send() would.
          ::shutdown(fd.get(), SHUT_WR);
          for (bool eof = false;;) {
            if (auto reply = tryReply(in, eof, "GET")) return std::move(*reply);
            if (eof) return Error{fmt::format("{}: the connection closed early", address_.text)};
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
            if (n > 0)
              in.append(buffer, static_cast<size_t>(n));
            else if (n == 0)
              eof = true;
            else if (errno == EAGAIN || errno == EINTR)
              waitFor(fd.get(), POLLIN, Clock::now() + timeouts_.response);
            else
              return Error{fmt::format("{}: {}", address_.text, std::strerror(errno))};
          }
        }
        streaming = true;
        in.erase(0, outcome.head.head_length);
      }
    }
    if (streaming) {
      std::string_view body = in;
      while (!body.empty() && !decoder.done()) {
        auto step = decoder.decode(body);
        if (step.error != http::ParseError::None)
          return Error{
              fmt::format("{}: bad stream: {}", address_.text, http::describe(step.error))};
        if (step.consumed == 0) break;
        if (!step.data.empty() && !on_data(step.data)) return AdminReply{200, {}, {}};
        body.remove_prefix(step.consumed);
      }
      in.erase(0, in.size() - body.size());
      if (decoder.done()) return AdminReply{200, {}, {}};
    }
    // Wake at least once a second to honour `until`.
    auto next = Clock::now() + std::chrono::seconds(1);
    if (until && *until < next) next = *until;
    if (until && Clock::now() >= *until) return AdminReply{200, {}, {}};
    if (!waitFor(fd.get(), POLLIN, next)) continue;
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      in.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return Error{fmt::format("{}: the stream ended (gatehouse stopped?)", address_.text)};
    } else if (errno != EAGAIN && errno != EINTR) {
      return Error{fmt::format("{}: {}", address_.text, std::strerror(errno))};
    }
  }
}

}  // namespace gatehouse::admin
