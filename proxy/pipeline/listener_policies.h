#pragma once
// What a listener's options do to its exchanges: `redirect_https` answers every request on a
// plain listener with a 301 to https, and `hsts` adds Strict-Transport-Security to every
// response on a TLS listener. Policy, so it lives here and not in the codec: the Exchange only
// calls the ResponseHeadPolicy it is given, and only exchanges of an HSTS listener get one, so a
// plain listener's responses pay nothing.
//
// Indexed by ClientInfo::listener. A reload replaces the options; the listeners themselves (their
// number and order) never change without a restart, so an index stays valid across reloads.

#include <cstdint>
#include <vector>

#include "proxy/http/exchange.h"

namespace gatehouse::pipeline {

struct ListenerOptions {
  uint32_t hsts = 0;  // Strict-Transport-Security max-age to add; 0: none
  bool redirect_https = false;
  uint16_t https_port = 443;  // of the redirect's Location; 443 is left out
};

class ListenerPolicies final : public http::ResponseHeadPolicy {
 public:
  void update(std::vector<ListenerOptions> options) { options_ = std::move(options); }

  // Applies the exchange's listener options at dispatch. True when it answered the exchange
  // (the https redirect); otherwise the exchange goes on, with this policy attached for HSTS.
  bool dispatch(http::Exchange& exchange) const;

  // http::ResponseHeadPolicy: the HSTS field, unless the response already has one.
  bool applies(const http::Exchange& exchange, const http::ResponseHead& head) const override;
  void apply(const http::Exchange& exchange, http::ResponseHead& head) const override;

 private:
  const ListenerOptions& of(const http::Exchange& exchange) const;

  std::vector<ListenerOptions> options_;
};

}  // namespace gatehouse::pipeline
