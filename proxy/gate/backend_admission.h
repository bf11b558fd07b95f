#pragma once
// What an upstream asks the gate just before a request reaches a backend, and of each response
// on its way back. The gate owns the rule (read-only mode); the upstream only calls it, so the
// upstream needs this interface and not the gate's state, and its tests can pass a fake.
//
// Read-only mode may be switched on while an exchange waits for a connection or in a hold
// queue: admitBeforeBackend() looks again then. A Blocked request is answered with
// respondBlocked() and nothing reaches the backend.

#include "proxy/http/exchange.h"
#include "proxy/http/message.h"

namespace gatehouse::gate {

enum class Admission { Pass, Blocked };

class BackendAdmission {
 public:
  virtual ~BackendAdmission() = default;
  // Pass (the request possibly anonymised) or Blocked (nothing changed).
  virtual Admission admitBeforeBackend(http::RequestHead& request) const = 0;
  // The answer to a Blocked exchange.
  virtual void respondBlocked(http::Exchange& exchange) const = 0;
  // Filters a backend's response head for `request` (read-only: drops Set-Cookie).
  virtual void filterResponse(const http::RequestHead& request, http::ResponseHead& head) const = 0;
};

}  // namespace gatehouse::gate
