#include "proxy/pipeline/purge_request.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "cache/cache_key.h"
#include "proxy/base/ascii.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/invalidation_feed.h"

namespace gatehouse::pipeline {
namespace {

constexpr size_t kHintKeys = 5;

// Both sizes are compared in the open (a token's length is no secret worth keeping), the bytes
// without an early exit.
bool sameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool allowed(const http::Exchange& exchange, const CachePolicy& cache) {
  for (const config::CidrBlock& block : cache.config.purge_from)
    if (block.contains(exchange.client().ip)) return true;
  const std::string_view auth = exchange.request().headers.get("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  return !cache.purge_token.empty() && auth.size() > kBearer.size() &&
         ascii::iequals(auth.substr(0, kBearer.size()), kBearer) &&
         sameSecret(auth.substr(kBearer.size()), cache.purge_token);
}

void respondJson(http::Exchange& exchange, int status, const nlohmann::json& j) {
  const std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  http::ResponseHead head;
  head.status = status;
  head.headers.add("Content-Type", "application/json");
  head.headers.add("Cache-Control", "no-store");
  exchange.respondWhole(std::move(head), body);
}

// The tags of an xkey / Surrogate-Key purge: space- or comma-separated, every such field.
std::vector<std::string> purgeTags(const http::HeaderMap& headers) {
  std::vector<std::string> tags;
  for (const http::Header& h : headers) {
    if (!ascii::iequals(h.name, "xkey") && !ascii::iequals(h.name, "xkey-purge") &&
        !ascii::iequals(h.name, "surrogate-key"))
      continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const size_t end = rest.find_first_of(" ,\t");
      const std::string_view tag = rest.substr(0, end);
      if (!tag.empty()) tags.emplace_back(tag);
      rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
  }
  return tags;
}

}  // namespace

PurgeCounters& PurgeCounters::process() {
  static PurgeCounters counters;
  return counters;
}

std::string nothingPurgedHint(cache::CacheStore& store, const std::string& key) {
  const std::vector<std::string> others = store.keysWithPath(cache::keyPath(key), kHintKeys);
  std::string list;
  for (const std::string& k : others)
    if (k != key) list += (list.empty() ? "" : ", ") + k;
  if (list.empty())
    return fmt::format("nothing is cached under {} (nor under another host or port)", key);
  return fmt::format(
      "nothing is cached under {}; the same path is cached under: {} (the cache key has the "
      "scheme, host and port the client used)",
      key, list);
}

void answerInvalidation(http::Exchange& exchange, const CachePolicy* cache) {
  PurgeCounters& counters = PurgeCounters::process();
  const http::RequestHead& request = exchange.request();
  const std::string client = exchange.client().ip;
  if (!cache) {
    respondJson(exchange, 409, {{"error", "no cache is configured"}});
    return;
  }
  if (!allowed(exchange, *cache)) {
    counters.refused.fetch_add(1, std::memory_order_relaxed);
    log::warn("{} {} from {} refused: not in cache.purge_from and no admin token", request.method,
              request.target, client);
    respondJson(exchange, 403,
                {{"error", fmt::format("{} is not allowed from {}", request.method, client)}});
    return;
  }
  cache::CacheStore& store = *cache->store;
  const std::string_view path = request.path();
  nlohmann::json answer;
  size_t purged = 0;
  std::string key;
  Invalidation shared;  // for the other instances of the site (cluster:), if any listen
  const std::vector<std::string> tags = purgeTags(request.headers);
  const bool regex = ascii::iequals(request.headers.get("x-purge-method"), "regex");
  if (request.method == "BAN" || (regex && path.ends_with(".*"))) {
    const std::string prefix(request.method == "BAN" ? path : path.substr(0, path.size() - 2));
    purged = store.banPathPrefix(prefix);
    answer["prefix"] = prefix;
    shared.prefix = prefix;
  } else if (!tags.empty()) {
    for (const std::string& tag : tags)
      purged += store.banTag(tag);
    answer["tags"] = tags;
    shared.tags = tags;
  } else {
    key = cache::primaryKey(request);  // as the cache keyed what this listener fetched
    purged = store.purge(key);
    answer["url"] = key;
    shared.url_key = key;
  }
  answer["purged"] = purged;
  (purged ? counters.purged : counters.nothing).fetch_add(1, std::memory_order_relaxed);
  if (purged == 0) answer["hint"] = key.empty() ? "nothing matched" : nothingPurgedHint(store, key);
  log::info("{} {} by {}: {} objects", request.method, request.target, client, purged);
  InvalidationFeed::process().publish(shared);
  respondJson(exchange, 200, answer);
}

}  // namespace gatehouse::pipeline
