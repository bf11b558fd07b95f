#pragma once
// Tells systemd (Type=notify) when gatehouse is ready and when it begins to stop. A no-op
// when not started by systemd or built without libsystemd.

namespace gatehouse::server {

void notifyReady();
void notifyStopping();

}  // namespace gatehouse::server
