// The cache's invalidation endpoints (INTERFACE.md):
//   POST /cache/purge {"url": "https://host/path?q"}   every variant of that URL
//   POST /cache/ban   {"prefix": "/blog/"} | {"tag": "user-42"}
// Both answer 200 {"purged": N} ("hint": what else is cached, when N is 0) and take effect at once:
// the objects leave the store before the answer, and a fill that began before is not stored (the
// store's epoch).
//   409 when no `cache:` section is configured; 400 for a bad body.
#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "cache/cache_key.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/purge_request.h"

namespace gatehouse::admin {
namespace {

cache::CacheStore* storeOf(AdminContext& context) {
  std::shared_ptr<const server::Snapshot> snapshot = context.control.snapshot();
  return snapshot->cache ? snapshot->cache->store.get() : nullptr;
}

constexpr FieldSpec kPurgeFields[] = {{"url", JsonType::String, true}};
constexpr FieldSpec kBanFields[] = {{"prefix", JsonType::String}, {"tag", JsonType::String}};

}  // namespace

AdminResponse cachePurgeEndpoint(const AdminRequest& request, AdminContext& context) {
  auto body = parseJsonObject(request.body, kPurgeFields);
  if (!body) return errorResponse(400, body.error().message);
  const std::string url = (*body)["url"].get<std::string>();
  std::optional<std::string> key = cache::primaryKeyFromUrl(url);
  if (!key) return errorResponse(400, "url: expected an absolute http:// or https:// URL");
  cache::CacheStore* store = storeOf(context);
  if (!store) return errorResponse(409, "no cache is configured");
  const size_t purged = store->purge(*key);
  log::info("admin: cache purge of {} by {}: {} objects", *key, request.client, purged);
  Json answer = {{"purged", purged}};
  if (purged == 0) answer["hint"] = pipeline::nothingPurgedHint(*store, *key);
  // The other instances purge it too (cluster:); their counts are not waited for.
  if (context.cluster) {
    cluster::PurgeEvent event;
    event.url_key = *key;
    answer["cluster"] = clusterNote(context, context.cluster->purged(std::move(event)));
  }
  return jsonResponse(200, answer);
}

AdminResponse cacheBanEndpoint(const AdminRequest& request, AdminContext& context) {
  auto body = parseJsonObject(request.body, kBanFields);
  if (!body) return errorResponse(400, body.error().message);
  const bool by_prefix = body->contains("prefix"), by_tag = body->contains("tag");
  if (by_prefix == by_tag) return errorResponse(400, "give exactly one of prefix or tag");
  const std::string value = (*body)[by_prefix ? "prefix" : "tag"].get<std::string>();
  if (value.empty()) return errorResponse(400, by_prefix ? "prefix: empty" : "tag: empty");
  if (by_prefix && value.front() != '/')
    return errorResponse(400, "prefix: a URL path starting with \"/\"");
  cache::CacheStore* store = storeOf(context);
  if (!store) return errorResponse(409, "no cache is configured");
  const size_t purged = by_prefix ? store->banPathPrefix(value) : store->banTag(value);
  log::info("admin: cache ban of {} {} by {}: {} objects", by_prefix ? "prefix" : "tag", value,
            request.client, purged);
  Json answer = {{"purged", purged}};
  if (context.cluster) {
    cluster::PurgeEvent event;
    (by_prefix ? event.prefix : event.tag) = value;
    answer["cluster"] = clusterNote(context, context.cluster->purged(std::move(event)));
  }
  if (purged == 0)
    answer["hint"] = by_prefix ? "no cached URL has a path starting with " + value
                               : "no cached object carries the tag " + value +
                                     " (tags come from the responses' Surrogate-Key and "
                                     "Cache-Tag fields)";
  return jsonResponse(200, answer);
}

}  // namespace gatehouse::admin
