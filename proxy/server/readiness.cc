#include "proxy/server/readiness.h"

#ifdef GATEHOUSE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace gatehouse::server {

#ifdef GATEHOUSE_HAVE_SYSTEMD
void notifyReady() {
  sd_notify(0, "READY=1");
}
void notifyStopping() {
  sd_notify(0, "STOPPING=1");
}
#else
void notifyReady() {}
void notifyStopping() {}
#endif

}  // namespace gatehouse::server
