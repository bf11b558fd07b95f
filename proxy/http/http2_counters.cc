#include "proxy/http/http2_counters.h"

namespace gatehouse::http {

Http2Counters& Http2Counters::process() {
  static Http2Counters counters;
  return counters;
}

}  // namespace gatehouse::http
