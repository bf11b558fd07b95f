#include "proxy/upstream/forwarded_headers.h"

#include "proxy/base/ascii.h"
#include "proxy/http/field_lines.h"

namespace gatehouse::upstream {
namespace {

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

enum class Replaced { No, Yes, Via };

// Whether apply() replaces a field of this name: X-Forwarded-For/-Proto/-Host, Forwarded (RFC
// 7239, as forgeable; not produced), Host (the authority) and Via (extended).
Replaced replacedField(std::string_view name) {
  switch (name.size()) {
    case 3:
      return ascii::iequals(name, "via") ? Replaced::Via : Replaced::No;
    case 4:
      return ascii::iequals(name, "host") ? Replaced::Yes : Replaced::No;
    case 9:
      return ascii::iequals(name, "forwarded") ? Replaced::Yes : Replaced::No;
    case 15:
      return ascii::iequals(name, "x-forwarded-for") ? Replaced::Yes : Replaced::No;
    case 16:
      return ascii::iequals(name, "x-forwarded-host") ? Replaced::Yes : Replaced::No;
    case 17:
      return ascii::iequals(name, "x-forwarded-proto") ? Replaced::Yes : Replaced::No;
    default:
      return Replaced::No;
  }
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

void ForwardPolicy::apply(http::RequestHead& head, const http::ClientInfo& client,
                          std::string_view request_id) const {
  // Once per request head: a refetch (a 304 naming another representation) starts a new fetch
  // of the same head, whose client's Via and own fields are already taken out; what was written
  // then still holds (the same client, the same authority).
  if (!head.forwarding.empty()) return;
  if (head.upgrade) filterUpgrade(head);
  // One pass over the client's fields takes out everything replaced below (a pass per name
  // was ~1,400 instructions per forwarded request); the replacements go at the end, in order.
  ForwardCounters& counters = ForwardCounters::process();
  bool real_ip_kept = false;
  std::string via;
  bool via_seen = false;
  head.headers.removeIf([&](const http::Header& h) {
    const int i = clientControlledIndex(h.name);
    if (i >= 0) {
      if (allowed_[static_cast<size_t>(i)]) {
        real_ip_kept = real_ip_kept || i == static_cast<int>(kRealIp);
        return false;
      }
      counters.stripped[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    switch (replacedField(h.name)) {
      case Replaced::No:
        return false;
      case Replaced::Via:
        // Only the first Via is extended, as before: the backend sees one hop list.
        if (!via_seen) via = h.value;
        via_seen = true;
        return true;
      case Replaced::Yes:
        return true;
    }
    return true;
  });
  // Host stays a field: the Vary key of a refetched response is computed from the fields, as
  // the lookup's was (a Vary: Host object would be stored under no Host otherwise).
  head.headers.add("Host", head.authority);
  // The other replacements, as wire lines in one string (one allocation where each owned field
  // took one or two).
  std::string& out = head.forwarding;
  out.reserve(160 + 2 * client.ip.size() + 2 * head.authority.size() + via.size());
  http::appendFieldLine(out, "X-Forwarded-For", client.ip);
  http::appendFieldLine(out, "X-Forwarded-Proto", client.tls ? "https" : "http");
  http::appendFieldLine(out, "X-Forwarded-Host", head.authority);
  if (!real_ip_kept) http::appendFieldLine(out, "X-Real-IP", client.ip);
  if (via.empty()) {
    http::appendFieldLine(out, "Via", kVia);
  } else {
    out += "Via: ";
    out += via;
    out += ", ";
    out += kVia;
    out += "\r\n";
  }
  // The codec left the client's id in the fields when it adopted it; otherwise ours goes here.
  if (!request_id.empty() && !head.headers.has("x-request-id"))
    http::appendFieldLine(out, "X-Request-Id", request_id);
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
