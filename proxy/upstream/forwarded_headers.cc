#include "proxy/upstream/forwarded_headers.h"

#include "proxy/base/ascii.h"

namespace gatehouse::upstream {
namespace {

constexpr std::string_view kVia = "1.1 gatehouse";
constexpr size_t kRealIp = 5;  // index of X-Real-IP in kClientControlledFields
static_assert(config::kClientControlledFields[kRealIp].name == "X-Real-IP");

void appendVia(http::HeaderMap& headers) {
  std::string via(headers.get("via"));
  headers.set("Via", via.empty() ? std::string(kVia) : via + ", " + std::string(kVia));
}

// The index of `name` in kClientControlledFields, or -1. Most fields are none of them: the first
// letter and the length rule them out before any comparison.
int clientControlledIndex(std::string_view name) {
  const char first = ascii::toLower(name.empty() ? '\0' : name[0]);
  if (first != 'x' && first != 't' && first != 'p') return -1;
  for (size_t i = 0; i < config::kClientControlledFields.size(); ++i) {
    const std::string_view field = config::kClientControlledFields[i].name;
    if (field.size() == name.size() && ascii::iequals(field, name)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

ForwardCounters& ForwardCounters::process() {
  static ForwardCounters counters;
  return counters;
}

ForwardPolicy::ForwardPolicy(const config::ForwardConfig& config) {
  for (const std::string& name : config.allow_headers) {
    const int i = clientControlledIndex(name);
    if (i >= 0) allowed_[static_cast<size_t>(i)] = true;
  }
  for (const std::string& token : config.upgrade_tokens) {
    std::string lower;
    for (char c : token)
      lower += ascii::toLower(c);
    upgrade_tokens_.push_back(std::move(lower));
  }
}

const ForwardPolicy& ForwardPolicy::defaults() {
  static const ForwardPolicy policy;
  return policy;
}

void ForwardPolicy::apply(http::RequestHead& head, const http::ClientInfo& client) const {
  stripClientControlled(head.headers);
  if (head.upgrade) filterUpgrade(head);
  head.headers.set("X-Forwarded-For", client.ip);
  head.headers.set("X-Forwarded-Proto", client.tls ? "https" : "http");
  head.headers.set("X-Forwarded-Host", head.authority);
  if (!allowed_[kRealIp] || !head.headers.has("x-real-ip"))
    head.headers.set("X-Real-IP", client.ip);
  head.headers.remove("forwarded");  // RFC 7239 form, equally forgeable; not produced (yet)
  appendVia(head.headers);
}

void ForwardPolicy::stripClientControlled(http::HeaderMap& headers) const {
  ForwardCounters& counters = ForwardCounters::process();
  headers.removeIf([&](const http::Header& h) {
    const int i = clientControlledIndex(h.name);
    if (i < 0 || allowed_[static_cast<size_t>(i)]) return false;
    counters.stripped[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
    return true;
  });
}

void ForwardPolicy::filterUpgrade(http::RequestHead& head) const {
  // Upgrade = #protocol, protocol = name ["/" version] (RFC 9110 §7.8): keep the relayed ones.
  std::string kept;
  ascii::forEachListElement(head.headers.get("upgrade"), [&](std::string_view protocol) {
    std::string_view name = protocol.substr(0, protocol.find('/'));
    for (const std::string& token : upgrade_tokens_) {
      if (!ascii::iequals(name, token)) continue;
      kept += (kept.empty() ? "" : ", ") + std::string(protocol);
      return;
    }
  });
  if (!kept.empty()) {
    head.headers.set("Upgrade", kept);
    return;
  }
  ForwardCounters::process().upgrades_refused.fetch_add(1, std::memory_order_relaxed);
  head.headers.remove("upgrade");
  head.upgrade = false;
}

void addResponseVia(http::HeaderMap& headers) {
  appendVia(headers);
}

}  // namespace gatehouse::upstream
