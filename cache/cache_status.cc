#include "cache/cache_status.h"

namespace gatehouse::cache {
namespace {
std::string_view fwdName(CacheStatus::Fwd fwd) {
  switch (fwd) {
    case CacheStatus::Fwd::UriMiss:
      return "uri-miss";
    case CacheStatus::Fwd::VaryMiss:
      return "vary-miss";
    case CacheStatus::Fwd::Stale:
      return "stale";
    case CacheStatus::Fwd::Bypass:
      return "bypass";
    case CacheStatus::Fwd::Request:
      return "request";
    case CacheStatus::Fwd::None:
      break;
  }
  return "";
}
}  // namespace

std::string CacheStatus::format() const {
  std::string out = "gatehouse";
  if (hit) out += "; hit";
  if (fwd != Fwd::None) {
    out += "; fwd=";
    out += fwdName(fwd);
  }
  // Appended by hand, not with fmt: this runs for every cache hit.
  if (fwd_status) {
    out += "; fwd-status=";
    out += std::to_string(*fwd_status);
  }
  if (ttl) {
    out += "; ttl=";
    out += std::to_string(*ttl);
  }
  if (stored) out += "; stored";
  if (collapsed) out += "; collapsed";
  if (!detail.empty()) {
    out += "; detail=";
    out += detail;
  }
  return out;
}

}  // namespace gatehouse::cache
