// What Redis tells this instance, and how it is applied: the catch-up after each (re)connect
// (the state hash, merged both ways, then the purges missed meanwhile) and the messages of the
// site's channel. A record is applied when it is newer than what this instance holds (last
// writer wins, cluster_record.h); a purge once, in stream order, and never the instance's own.
#include <hiredis/hiredis.h>

#include <map>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster/process_state.h"
#include "admin-api/cluster/redis_reply.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {
namespace {

// How many missed purges a reconnect replays at most (the stream keeps about 10000).
constexpr size_t kCatchUpPurges = 10000;

}  // namespace

void ClusterSync::resync() {
  const uint64_t generation = generation_;
  commands_->command({"HGETALL", key("state")}, [this, generation](const redisReply* r) {
    if (r == nullptr || generation != generation_) return;
    if (r->type == REDIS_REPLY_ERROR) return linkDown(generation, "HGETALL: " + replyText(r));
    onStateHash(r);
  });
}

void ClusterSync::onStateHash(const redisReply* reply) {
  std::map<std::string, Record, std::less<>> remote;
  for (const auto& [field, value] : replyPairs(reply)) {
    auto record = decode(field, value);
    if (!record) {
      ++counters_.invalid;
      continue;
    }
    receiveRecord(*record, "loaded");
    remote.emplace(field, std::move(*record));
  }
  // What this instance holds newer than Redis (changed while it was away), or what Redis lost
  // (restarted empty, a replica promoted before it had it): written back, newer wins there too.
  for (const Record& mine : book_.all()) {
    auto it = remote.find(mine.key);
    if (it == remote.end() || mine.supersedes(it->second)) sendRecord(mine);
  }
  catchUpPurges();
}

void ClusterSync::catchUpPurges() {
  const uint64_t generation = generation_;
  const std::string from = last_purge_id_.empty() ? "-" : "(" + last_purge_id_;
  commands_->command({"XRANGE", key("purges"), from, "+", "COUNT", std::to_string(kCatchUpPurges)},
                     [this, generation](const redisReply* r) {
                       if (r == nullptr || generation != generation_) return;
                       if (r->type == REDIS_REPLY_ARRAY) {
                         for (size_t i = 0; i < r->elements; ++i) {
                           const redisReply* entry = r->element[i];
                           if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) continue;
                           const redisReply* fields = entry->element[1];
                           if (fields->type != REDIS_REPLY_ARRAY || fields->elements < 2) continue;
                           auto event = decodePurge(replyText(fields->element[1]));
                           if (event) receivePurge(replyText(entry->element[0]), *event);
                         }
                       }
                       becomeUp();
                     });
}

void ClusterSync::onMessage(const redisReply* reply) {
  if (replyText(reply->element[0]) != "message") return;
  const std::string payload = replyText(reply->element[2]);
  // "s KEY RECORD" or "p STREAM-ID EVENT"
  const size_t a = payload.find(' ');
  const size_t b = a == std::string::npos ? a : payload.find(' ', a + 1);
  if (a != 1 || b == std::string::npos) {
    ++counters_.invalid;
    return;
  }
  const std::string middle = payload.substr(a + 1, b - a - 1);
  const std::string_view body = std::string_view(payload).substr(b + 1);
  if (payload[0] == 's') {
    auto record = decode(middle, body);
    if (!record) {
      ++counters_.invalid;
      return;
    }
    receiveRecord(*record, "heard");
  } else if (payload[0] == 'p') {
    auto event = decodePurge(body);
    if (!event) {
      ++counters_.invalid;
      return;
    }
    receivePurge(middle, *event);
  }
}

void ClusterSync::receiveRecord(const Record& record, const char* how) {
  if (book_.merge(record) != Merge::Apply) return;
  auto applied = applyRecord(record, control_, read_only_);
  if (!applied) {
    ++counters_.invalid;
    log::warn("cluster: {} from {}: {}", how, record.by, applied.error().message);
    return;
  }
  if (applied->empty()) return;  // already so here
  ++counters_.applied;
  log::warn("cluster: {} (by instance {}, version {})", *applied, record.by, record.version);
  if (persist_) persist_();
}

void ClusterSync::receivePurge(const std::string& id, const PurgeEvent& event) {
  if (!streamIdAfter(id, last_purge_id_)) return;
  last_purge_id_ = id;
  if (event.by == config_.instance) return;  // made here: already done
  auto purged = applyPurge(event, control_);
  if (!purged) {
    ++counters_.invalid;
    log::warn("cluster: a purge by {}: {}", event.by, purged.error().message);
    return;
  }
  ++counters_.purges_applied;
  log::info("cluster: {} {} by instance {}: {} objects",
            !event.url_key.empty() ? "purge of" : "ban of",
            !event.url_key.empty()
                ? event.url_key
                : (!event.prefix.empty() ? "prefix " + event.prefix : "tag " + event.tag),
            event.by, *purged);
}

}  // namespace gatehouse::cluster
