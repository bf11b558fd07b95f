// `cache:` the shared in-memory HTTP cache.
#include <fmt/format.h>

#include "config/sections.h"
#include "config/units.h"
#include "proxy/base/ascii.h"

namespace gatehouse::config {
namespace {

// Below this the per-object overhead dominates and almost nothing fits; a typo (`256KiB` for
// `256MiB`) is the likelier story.
constexpr ByteSize kMinMemory = ByteSize::mib(1);
// Variants per URL at most: beyond a few hundred a Vary'd field is an identifier, not a
// negotiation, and each variant costs a lookup's worth of keys under the shard's lock.
constexpr uint32_t kMaxVariants = 1024;

// RFC 6265 cookie-name: a token.
bool isCookieName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f ||
        std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos)
      return false;
  }
  return true;
}

// RFC 9110 §5.1: a field name is a token; Cache-Control itself cannot be targeted.
bool isFieldName(std::string_view name) {
  if (name.empty() || ascii::iequals(name, "cache-control")) return false;
  for (char c : name)
    if (!ascii::isTokenChar(c)) return false;
  return true;
}

}  // namespace

void readCache(const Value& v, CacheConfig& cache, Diagnostics& diag) {
  std::optional<Value> max_object_value;
  readMap(v,
          {
              {"memory",
               [&](const Value& item) {
                 auto size = readByteSize(item, diag);
                 if (!size) return;
                 if (*size < kMinMemory)
                   return diag.error(
                       item.mark, item.path,
                       fmt::format("must be at least {}, got {}", formatByteSize(kMinMemory),
                                   formatByteSize(*size)));
                 cache.memory = *size;
               }},
              {"max_object",
               [&](const Value& item) {
                 auto size = readByteSize(item, diag);
                 if (!size) return;
                 if (size->bytes() == 0)
                   return diag.error(item.mark, item.path, "must be more than 0");
                 cache.max_object = *size;
                 max_object_value = item;
               }},
              {"grace",
               [&](const Value& item) {
                 if (auto d = readDuration(item, diag)) cache.grace = *d;
               }},
              {"stale_if_error",
               [&](const Value& item) {
                 if (auto d = readDuration(item, diag)) cache.stale_if_error = *d;
               }},
              {"targeted_fields",
               [&](const Value& list) {
                 cache.targeted_fields.clear();
                 readList(
                     list,
                     [&](const Value& item) {
                       auto name = readString(item, diag);
                       if (!name) return;
                       if (!isFieldName(*name))
                         return diag.error(item.mark, item.path,
                                           fmt::format("\"{}\" is not a field name", *name));
                       cache.targeted_fields.push_back(std::move(*name));
                     },
                     diag);
               }},
              {"forward_targeted_fields",
               [&](const Value& item) {
                 if (auto b = readBool(item, diag)) cache.forward_targeted_fields = *b;
               }},
              {"replay_early_hints",
               [&](const Value& item) {
                 if (auto b = readBool(item, diag)) cache.replay_early_hints = *b;
               }},
              {"coalesce_timeout",
               [&](const Value& item) {
                 auto d = readDuration(item, diag);
                 if (!d) return;
                 if (d->count() == 0)
                   return diag.error(item.mark, item.path, "must be more than 0");
                 cache.coalesce_timeout = *d;
               }},
              {"heuristic_max",
               [&](const Value& item) {
                 if (auto d = readDuration(item, diag)) cache.heuristic_max = *d;
               }},
              {"max_variants",
               [&](const Value& item) {
                 if (auto n = readUint(item, 1, kMaxVariants, diag)) cache.max_variants = *n;
               }},
              {"purge_from",
               [&](const Value& list) {
                 readList(
                     list,
                     [&](const Value& item) {
                       auto text = readString(item, diag);
                       if (!text) return;
                       std::string why;
                       auto block = CidrBlock::parse(*text, why);
                       if (!block) return diag.error(item.mark, item.path, why);
                       cache.purge_from.push_back(std::move(*block));
                     },
                     diag);
               }},
              {"anonymous_ignore_cookies",
               [&](const Value& list) {
                 readList(
                     list,
                     [&](const Value& item) {
                       auto name = readString(item, diag);
                       if (!name) return;
                       if (!isCookieName(*name))
                         return diag.error(item.mark, item.path,
                                           fmt::format("\"{}\" is not a cookie name", *name));
                       cache.anonymous_ignore_cookies.push_back(std::move(*name));
                     },
                     diag);
               }},
          },
          {}, diag);
  // An object may take at most an eighth of the memory, so that one large response cannot
  // flush the whole cache.
  if (!max_object_value && cache.max_object.bytes() > cache.memory.bytes() / 8)
    cache.max_object = ByteSize(cache.memory.bytes() / 8);
  if (max_object_value && cache.max_object.bytes() > cache.memory.bytes() / 8)
    diag.error(max_object_value->mark, max_object_value->path,
               fmt::format("must be at most 1/8 of cache.memory ({}), got {}",
                           formatByteSize(ByteSize(cache.memory.bytes() / 8)),
                           formatByteSize(cache.max_object)));
}

}  // namespace gatehouse::config
