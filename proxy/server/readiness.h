#pragma once
// Tells systemd (Type=notify, sd_notify(3)) what the process is doing: READY=1 once every
// listener, the admin API and the state file are in place; RELOADING=1 (with MONOTONIC_USEC)
// then READY=1 around a reload; STOPPING=1 on a graceful stop; STATUS= a one-line summary for
// `systemctl status`; WATCHDOG=1 while every event loop still turns (WatchdogSec=).
// Every call is a no-op when not started by systemd (no NOTIFY_SOCKET) or built without
// libsystemd. Thread-safe.

#include <optional>
#include <string_view>

#include "proxy/base/duration.h"

namespace gatehouse::server {

void notifyReady();
void notifyReloading();
void notifyStopping();
void notifyStatus(std::string_view status);
void notifyWatchdog();
// How often WATCHDOG=1 must arrive (WATCHDOG_USEC for this process), or nullopt when the
// service has no watchdog.
std::optional<Duration> watchdogInterval();

}  // namespace gatehouse::server
