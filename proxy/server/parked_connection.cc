#include "proxy/server/parked_connection.h"

namespace gatehouse::server {

// Its size is what an idle connection costs (see the header): make_shared adds 16 bytes of counts,
// and 208 + 16 is jemalloc's 224-byte class. Checked where it was measured (64-bit Linux).
static_assert(sizeof(void*) != 8 || sizeof(ParkedConnection) <= 208,
              "a parked connection grew past jemalloc's 224-byte class");

ParkedConnection::ParkedConnection(event_base* base, net::IdleSocket socket,
                                   http::ClientInfo client, Duration idle_left, Owner& owner)
    : event_{},
      socket_(std::move(socket)),
      client_ip_(std::move(client.ip)),
      client_port_(client.port),
      listener_(client.listener),
      tls_(client.tls),
      deadline_(std::chrono::steady_clock::now() + idle_left),
      owner_(owner) {
  event_assign(&event_, base, socket_.fd(), EV_READ, &ParkedConnection::onEvent, this);
}

ParkedConnection::~ParkedConnection() {
  event_del(&event_);
}

void ParkedConnection::start() {
  timeval tv = toTimeval(idleLeft());
  event_add(&event_, &tv);
}

http::ClientInfo ParkedConnection::client() const {
  http::ClientInfo client;
  client.ip = client_ip_;
  client.port = client_port_;
  client.tls = tls_;
  client.listener = listener_;
  return client;
}

Duration ParkedConnection::idleLeft() const {
  auto left = std::chrono::duration_cast<Duration>(deadline_ - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : Duration::zero();
}

void ParkedConnection::onEvent(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<ParkedConnection*>(arg);
  if (what & EV_READ) return self->owner_.wake(*self);
  self->close();  // client_idle is up: closed quietly, as the codec's idle timer does
}

void ParkedConnection::beginShutdown() {
  socket_.shutdownWrite();
  close();
}

void ParkedConnection::close() {
  event_del(&event_);
  socket_.reset();
  owner_.closed(*this);
}

net::IdleSocket ParkedConnection::takeSocket() {
  event_del(&event_);
  return std::move(socket_);
}

}  // namespace gatehouse::server
