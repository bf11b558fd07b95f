#pragma once
// TLS that warns before it breaks (issue 16): each listener certificate's not-after, a warning
// inside kExpiryWarning (and an error once expired) for `gatehouse check`, the daily error-log
// warning, and /metrics' gatehouse_tls_certificate_not_after_seconds.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/net/event_loop.h"
#include "proxy/net/timer.h"
#include "proxy/server/snapshot.h"

namespace gatehouse::server {

inline constexpr std::chrono::hours kExpiryWarning{14 * 24};
inline constexpr Duration kExpiryLogInterval{24 * 3600 * 1000};

struct CertificateStatus {
  std::string origin;    // "FILE:LINE:COL: listeners[0].tls.certificates[1].cert"
  std::string listener;  // the listener's address as written
  std::string cert;      // the chain file
  std::chrono::system_clock::time_point not_after;
};

// Every certificate of every TLS listener of `snapshot`, in config order.
std::vector<CertificateStatus> certificateStatuses(const Snapshot& snapshot);

enum class Expiry { Fine, Soon, Expired };
Expiry expiryOf(const CertificateStatus& cert, std::chrono::system_clock::time_point now);

// "certificate FILE expired on 2026-12-01 10:00 UTC; ..." or "certificate FILE expires in 3
// days (on ...); renew it" for Expired and Soon; nullopt when Fine. Callers prefix the origin.
std::optional<std::string> expiryMessage(const CertificateStatus& cert,
                                         std::chrono::system_clock::time_point now);

// On the main loop: logs the warnings at once and then every kExpiryLogInterval, for the
// snapshot in force at that moment.
class CertificateWatch {
 public:
  CertificateWatch(net::EventLoop& loop, std::function<std::shared_ptr<const Snapshot>()> snapshot);

 private:
  void check();
  std::function<std::shared_ptr<const Snapshot>()> snapshot_;
  net::Timer timer_;
};

}  // namespace gatehouse::server
