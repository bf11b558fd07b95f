#include "proxy/server/parked_connection.h"

namespace gatehouse::server {

ParkedConnection::ParkedConnection(event_base* base, net::IdleSocket socket,
                                   http::ClientInfo client, Duration idle_left, Owner& owner)
    : event_{},
      base_(base),
      socket_(std::move(socket)),
      client_(std::move(client)),
      deadline_(std::chrono::steady_clock::now() + idle_left),
      owner_(owner) {
  event_assign(&event_, base_, socket_.fd(), EV_READ, &ParkedConnection::onEvent, this);
}

ParkedConnection::~ParkedConnection() {
  event_del(&event_);
}

void ParkedConnection::start() {
  timeval tv = toTimeval(idleLeft());
  event_add(&event_, &tv);
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
