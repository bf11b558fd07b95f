// GET /tail?status=>=500&path=/api/&server=app/app1&cache=miss: the access entries of the
// running process as they happen, one JSON object a line, until the client leaves (tail_hub.h).
#include "admin-api/endpoint.h"
#include "admin-api/tail_filter.h"
#include "admin-api/tail_hub.h"

namespace gatehouse::admin {

AdminResponse tailEndpoint(const AdminRequest& request, AdminContext& context) {
  auto filter = TailFilter::parse(request.query);
  if (!filter) return errorResponse(400, filter.error().message);
  if (!context.tails) return errorResponse(503, "no traffic tap in this process");
  AdminResponse response;
  response.content_type = "application/x-ndjson";
  response.open_stream = [hub = context.tails, f = std::move(*filter)](http::Exchange& exchange) {
    return std::shared_ptr<void>(hub->subscribe(exchange, f));
  };
  return response;
}

}  // namespace gatehouse::admin
