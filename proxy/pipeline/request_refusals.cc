#include "proxy/pipeline/request_refusals.h"

namespace gatehouse::pipeline {

RequestRefusals& RequestRefusals::process() {
  static RequestRefusals refusals;
  return refusals;
}

}  // namespace gatehouse::pipeline
