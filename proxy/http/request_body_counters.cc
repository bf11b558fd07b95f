#include "proxy/http/request_body_counters.h"

namespace gatehouse::http {

RequestBodyCounters& RequestBodyCounters::process() {
  static RequestBodyCounters counters;
  return counters;
}

}  // namespace gatehouse::http
