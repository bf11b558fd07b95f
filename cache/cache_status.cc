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

InlineBuffer<128> CacheStatus::format() const {
  InlineBuffer<128> out;
  formatInto(out);
  return out;
}

void CacheStatus::formatInto(InlineBuffer<128>& out) const {
  out.clear();
  out.append("gatehouse");
  if (hit) out.append("; hit");
  if (fwd != Fwd::None) {
    out.append("; fwd=");
    out.append(fwdName(fwd));
  }
  if (fwd_status) {
    out.append("; fwd-status=");
    out.appendNumber(*fwd_status);
  }
  if (ttl) {
    out.append("; ttl=");
    out.appendNumber(*ttl);
  }
  if (stored) out.append("; stored");
  if (collapsed) out.append("; collapsed");
  if (!detail.empty()) {
    out.append("; detail=");
    out.append(detail);
  }
}

}  // namespace gatehouse::cache
