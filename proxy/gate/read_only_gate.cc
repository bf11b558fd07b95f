#include "proxy/gate/read_only_gate.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "proxy/base/ascii.h"
#include "proxy/http/error_page.h"
#include "proxy/http/request_path.h"
#include "proxy/net/libevent_ptr.h"

namespace gatehouse::gate {
namespace {

constexpr std::string_view kDefaultMessage =
    "Maintenance is under way. You can keep reading; changes are not possible right now. "
    "Please try again later.";

// The built-in page, with the operator's public message when one was set.
std::string builtInPage(std::string_view message) {
  return fmt::format(
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Read-only</title></head>\n"
      "<body><h1>This site is read-only for a moment</h1>\n<p>{}</p></body></html>\n",
      http::escapeHtml(message));
}

struct MediaMatch {
  double q = 0;
  int specificity = -1;  // 2 exact, 1 type/*, 0 */*; -1 no match
};

// The best match of the Accept field for `type`/`subtype` (RFC 9110 §12.5.1: the most specific
// range that matches decides the q-value).
MediaMatch matchAccept(std::string_view accept, std::string_view type, std::string_view subtype) {
  MediaMatch best;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view range = ascii::trimOws(item.substr(0, semi));
    double q = 1;
    while (semi != std::string_view::npos) {
      item.remove_prefix(semi + 1);
      semi = item.find(';');
      std::string_view param = ascii::trimOws(item.substr(0, semi));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        std::string text(param.substr(2));
        q = std::strtod(text.c_str(), nullptr);
      }
    }
    size_t slash = range.find('/');
    if (slash == std::string_view::npos) continue;
    std::string_view t = range.substr(0, slash), s = range.substr(slash + 1);
    int specificity = -1;
    if (t == "*" && s == "*") {
      specificity = 0;
    } else if (ascii::iequals(t, type) && s == "*") {
      specificity = 1;
    } else if (ascii::iequals(t, type) && ascii::iequals(s, subtype)) {
      specificity = 2;
    }
    if (specificity > best.specificity) best = {q, specificity};
  }
  return best;
}

}  // namespace

const ReadOnlyGate& ReadOnlyGate::process() {
  static const ReadOnlyGate gate(ReadOnlyState::process());
  return gate;
}

bool ReadOnlyGate::isSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

bool ReadOnlyGate::isAllowed(std::string_view path, const config::ReadOnlyConfig& settings) {
  for (const std::string& prefix : settings.allow) {
    if (http::pathHasPrefix(path, prefix)) return !http::hasDotSegment(path);
  }
  return false;
}

bool ReadOnlyGate::prefersJson(std::string_view accept) {
  const MediaMatch json = matchAccept(accept, "application", "json");
  const MediaMatch html = matchAccept(accept, "text", "html");
  if (json.specificity < 0 || json.q <= 0) return false;
  if (html.specificity < 0 || json.q > html.q) return true;
  return json.q == html.q && json.specificity > html.specificity;
}

Admission ReadOnlyGate::admit(http::RequestHead& request, Stage stage) const {
  if (!state_.enabled()) return Admission::Pass;
  const std::shared_ptr<const ReadOnlyState::View> view = state_.snapshot();
  if (!view->enabled) return Admission::Pass;  // switched off since the flag was read
  if (isAllowed(request.path(), *view->settings)) {
    if (!isSafeMethod(request.method) && stage == Stage::Dispatch)
      state_.allowed_total.fetch_add(1, std::memory_order_relaxed);
    return Admission::Pass;
  }
  if (!isSafeMethod(request.method)) {
    state_.blocked_total.fetch_add(1, std::memory_order_relaxed);
    return Admission::Blocked;
  }
  const size_t removed = request.headers.remove("cookie") + request.headers.remove("authorization");
  if (removed > 0) state_.anonymized_total.fetch_add(1, std::memory_order_relaxed);
  return Admission::Pass;
}

void ReadOnlyGate::respondBlocked(http::Exchange& exchange) const {
  const std::shared_ptr<const ReadOnlyState::View> view = state_.snapshot();
  const config::ReadOnlyConfig& settings = *view->settings;
  const int64_t retry_after = settings.retry_after.count() / 1000;
  std::string body;
  http::ResponseHead head;
  head.status = 503;
  if (prefersJson(exchange.request().headers.get("accept"))) {
    // The operator's reason stays internal (issue 17): only the public message goes out.
    nlohmann::json j = {
        {"error", "read_only"},
        {"message", view->message.empty() ? "The site is read-only for maintenance; retry later."
                                          : view->message},
        {"retry_after", retry_after}};
    body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    head.headers.add("Content-Type", "application/json");
  } else {
    body = settings.page.empty()
               ? builtInPage(view->message.empty() ? kDefaultMessage : view->message)
               : settings.page;
    head.headers.add("Content-Type", "text/html; charset=utf-8");
  }
  head.headers.add("Retry-After", fmt::format("{}", retry_after));
  head.headers.add("Cache-Control", "no-store");
  exchange.respondWhole(std::move(head), body);
}

bool ReadOnlyGate::pass(http::Exchange& exchange) const {
  if (admit(exchange.request()) == Admission::Pass) return true;
  respondBlocked(exchange);
  return false;
}

void ReadOnlyGate::filterResponse(const http::RequestHead& request,
                                  http::ResponseHead& head) const {
  if (!state_.enabled()) return;
  const std::shared_ptr<const ReadOnlyState::View> view = state_.snapshot();
  if (!view->enabled || isAllowed(request.path(), *view->settings)) return;
  if (head.headers.remove("set-cookie") > 0)
    state_.set_cookie_dropped_total.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gatehouse::gate
