// The status page (issue 17): GET / on the admin listener serves one self-contained HTML page
// (status_page_html.cc: no external assets, no build step, small vanilla JS) that logs in with
// the admin token (POST /login sets an HttpOnly, SameSite=Strict session cookie; the token never
// goes in a URL) and then refreshes itself from the JSON endpoints every 2 s.
//   POST /login  {"token": "..."} (or a form's token=...)  200 + Set-Cookie | 401
//   POST /logout                                           200, the cookie cleared
#include <fmt/format.h>

#include "admin-api/auth.h"
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "admin-api/session_store.h"
#include "admin-api/tail_filter.h"
#include "proxy/base/log.h"

namespace gatehouse::admin {

std::string_view statusPageHtml();  // status_page_html.cc

namespace {

// The token of a login body: JSON {"token": ...} or a form's token=...; empty when absent.
std::string tokenOf(const std::string& body) {
  if (body.starts_with("token=")) return percentDecode(body.substr(6)).value_or("");
  static constexpr FieldSpec kFields[] = {{"token", JsonType::String, true}};
  auto parsed = parseJsonObject(body, kFields);
  return parsed ? (*parsed)["token"].get<std::string>() : std::string();
}

std::string cookie(std::string_view id, int64_t max_age_s) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", SessionStore::kCookie,
                     id, max_age_s);
}

}  // namespace

AdminResponse statusPageEndpoint(const AdminRequest&, AdminContext&) {
  AdminResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::string(statusPageHtml());
  // Inline script and style only; data from this origin only; never framed.
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
      "connect-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

AdminResponse loginEndpoint(const AdminRequest& request, AdminContext& context) {
  if (!context.sessions || !context.auth) return errorResponse(503, "no sessions here");
  const std::string token = tokenOf(request.body);
  if (token.empty() || context.auth->check("Bearer " + token) != BearerAuth::Verdict::Admitted) {
    log::warn("admin: status page login from {} refused: wrong token", request.client);
    return errorResponse(401, "wrong token");
  }
  const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(context.session_ttl);
  const std::string id = context.sessions->create(SessionStore::Clock::now(), ttl);
  log::info("admin: status page login from {}", request.client);
  AdminResponse response = jsonResponse(200, {{"logged_in", true}, {"expires_in_s", ttl.count()}});
  response.headers.emplace_back("Set-Cookie", cookie(id, ttl.count()));
  return response;
}

AdminResponse logoutEndpoint(const AdminRequest& request, AdminContext& context) {
  if (context.sessions) context.sessions->end(request.cookie);
  AdminResponse response = jsonResponse(200, {{"logged_in", false}});
  response.headers.emplace_back("Set-Cookie", cookie("", 0));
  return response;
}

}  // namespace gatehouse::admin
