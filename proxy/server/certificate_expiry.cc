#include "proxy/server/certificate_expiry.h"

#include <fmt/format.h>

#include <ctime>

#include "proxy/base/log.h"

namespace gatehouse::server {
namespace {

std::string utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace

std::vector<CertificateStatus> certificateStatuses(const Snapshot& snapshot) {
  std::vector<CertificateStatus> out;
  for (const ListenerRuntime& listener : snapshot.listeners) {
    if (!listener.tls || !listener.config->tls) continue;
    const auto& configured = listener.config->tls->certificates;
    const auto loaded = listener.tls->certificates();
    for (size_t i = 0; i < loaded.size() && i < configured.size(); ++i) {
      out.push_back({configured[i].cert_origin, listener.config->address.text, loaded[i].cert,
                     loaded[i].not_after});
    }
  }
  return out;
}

Expiry expiryOf(const CertificateStatus& cert, std::chrono::system_clock::time_point now) {
  if (cert.not_after <= now) return Expiry::Expired;
  if (cert.not_after - now <= kExpiryWarning) return Expiry::Soon;
  return Expiry::Fine;
}

std::optional<std::string> expiryMessage(const CertificateStatus& cert,
                                         std::chrono::system_clock::time_point now) {
  switch (expiryOf(cert, now)) {
    case Expiry::Fine:
      return std::nullopt;
    case Expiry::Expired:
      return fmt::format("certificate {} expired on {}; clients refuse it: renew it", cert.cert,
                         utc(cert.not_after));
    case Expiry::Soon: {
      const auto hours =
          std::chrono::duration_cast<std::chrono::hours>(cert.not_after - now).count();
      // Whole days rounded up: a certificate issued for 3 days "expires in 3 days".
      return fmt::format("certificate {} expires in {} days (on {}); renew it", cert.cert,
                         (hours + 23) / 24, utc(cert.not_after));
    }
  }
  return std::nullopt;
}

CertificateWatch::CertificateWatch(net::EventLoop& loop,
                                   std::function<std::shared_ptr<const Snapshot>()> snapshot)
    : snapshot_(std::move(snapshot)), timer_(loop.base(), [this] { check(); }) {
  check();
}

void CertificateWatch::check() {
  const auto now = std::chrono::system_clock::now();
  for (const CertificateStatus& cert : certificateStatuses(*snapshot_()))
    if (auto message = expiryMessage(cert, now)) log::warn("{}: {}", cert.origin, *message);
  timer_.arm(kExpiryLogInterval);
}

}  // namespace gatehouse::server
