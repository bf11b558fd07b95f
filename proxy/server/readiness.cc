#include "proxy/server/readiness.h"

#include <fmt/format.h>
#include <time.h>

#include <string>

#ifdef GATEHOUSE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace gatehouse::server {

#ifdef GATEHOUSE_HAVE_SYSTEMD
namespace {
void send(const std::string& state) {
  sd_notify(0, state.c_str());
}
}  // namespace

void notifyReady() {
  send("READY=1");
}

void notifyReloading() {
  // systemd (notify-reload) wants the CLOCK_MONOTONIC time at which the reload began.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const unsigned long long usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                                  static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

void notifyStopping() {
  send("STOPPING=1");
}

void notifyStatus(std::string_view status) {
  send(fmt::format("STATUS={}", status));
}

void notifyWatchdog() {
  send("WATCHDOG=1");
}

std::optional<Duration> watchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return Duration{static_cast<int64_t>(usec / 1000)};
}
#else
void notifyReady() {}
void notifyReloading() {}
void notifyStopping() {}
void notifyStatus(std::string_view) {}
void notifyWatchdog() {}
std::optional<Duration> watchdogInterval() {
  return std::nullopt;
}
#endif

}  // namespace gatehouse::server
