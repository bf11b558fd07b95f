#include "admin-api/endpoint.h"

namespace gatehouse::admin {

AdminResponse jsonResponse(int status, const Json& body) {
  AdminResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  response.body += '\n';
  return response;
}

AdminResponse errorResponse(int status, std::string_view message) {
  return jsonResponse(status, {{"error", message}});
}

}  // namespace gatehouse::admin
