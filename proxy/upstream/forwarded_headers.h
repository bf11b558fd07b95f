#pragma once
// What a backend learns of the client, and which of the client's own claims it never sees.
// gatehouse is the edge:
//   - X-Forwarded-For/-Proto/-Host and X-Real-IP are set from the connection, never appended
//     to, so a client cannot forge its address;
//   - the client-controlled fields of config/forward_fields.h (X-Original-URL, X-HTTP-Method-
//     Override, ...) are stripped unless `forward.allow_headers` lists them: the cache key does
//     not see them, so a response they changed must not be stored under the URL;
//   - an Upgrade is relayed only for `forward.upgrade_tokens` (websocket by default): an h2c
//     upgrade would hand the client a tunnel past routing, the cache and the read-only gate.
// One ForwardPolicy per config snapshot, shared by its pools (BackendPool::forward()).

#include <array>
#include <atomic>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/forward_fields.h"
#include "proxy/http/exchange.h"

namespace gatehouse::upstream {

// How often a client's field was stripped (by field, in kClientControlledFields order) and an
// Upgrade refused, across all workers, for /metrics.
struct ForwardCounters {
  std::array<std::atomic<uint64_t>, config::kClientControlledFields.size()> stripped{};
  std::atomic<uint64_t> upgrades_refused{0};
  static ForwardCounters& process();
};

class ForwardPolicy {
 public:
  ForwardPolicy() : ForwardPolicy(config::ForwardConfig{}) {}
  explicit ForwardPolicy(const config::ForwardConfig& config);
  // The defaults, for pools built without a config snapshot (tests, tools).
  static const ForwardPolicy& defaults();

  // The request as the backend gets it: client-controlled fields stripped unless allowed,
  // X-Forwarded-For/-Proto/-Host and X-Real-IP set (an allowed X-Real-IP the client sent is
  // kept), Forwarded removed, Via added (RFC 9110 §7.6.3), Host set to the authority (last of
  // the fields), X-Request-Id set to `request_id` unless the client's was kept, and an Upgrade
  // kept only for the protocols relayed (none left: the request goes on as an ordinary one).
  // The fields set but Host go to head.forwarding (wire lines sent after the client's fields),
  // in that order. A head is done once: applying again changes nothing.
  void apply(http::RequestHead& head, const http::ClientInfo& client,
             std::string_view request_id = {}) const;

 private:
  void filterUpgrade(http::RequestHead& head) const;

  std::array<bool, config::kClientControlledFields.size()> allowed_{};
  std::vector<std::string> upgrade_tokens_;  // lowercase
};

// The hop gatehouse adds to Via, both ways (RFC 9110 §7.6.3).
inline constexpr std::string_view kVia = "1.1 gatehouse";

// Adds Via to a response going back to the client.
void addResponseVia(http::HeaderMap& headers);

}  // namespace gatehouse::upstream
