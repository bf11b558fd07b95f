// What this instance tells Redis: a change made here (read-only mode, a server's admin state, a
// pool's pause) goes to the state hash through a script that keeps the newer version and
// publishes it; a purge or ban is appended to the purge stream and published. While Redis is
// away both are kept here (records in the StateBook, pushed by the catch-up; purges in a bounded
// queue, sent on becomeUp) and the caller tells the operator.
#include <hiredis/hiredis.h>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster/process_state.h"
#include "admin-api/cluster/redis_reply.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {
namespace {

// Writes a record when it is newer than the stored one (last writer wins, cluster_record.h) and
// publishes it; else answers the stored, newer record. KEYS: state hash, channel. ARGV: field,
// version, instance, record.
constexpr std::string_view kSetIfNewer = R"(
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  local v = tonumber(ARGV[2])
  if ok and type(c) == 'table' and type(c.v) == 'number' and
     (c.v > v or (c.v == v and tostring(c.by) >= ARGV[3])) then
    return cur
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('PUBLISH', KEYS[2], 's ' .. ARGV[1] .. ' ' .. ARGV[4])
return 1)";

// Appends a purge to the stream (trimmed to about 10000) and publishes it with its id.
// KEYS: stream, channel. ARGV: event.
constexpr std::string_view kPurge = R"(
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', '10000', '*', 'e', ARGV[1])
redis.call('PUBLISH', KEYS[2], 'p ' .. id .. ' ' .. ARGV[1])
return id)";

// Purges made while Redis is away, kept to send when it is back; beyond, the oldest goes.
constexpr size_t kMaxUnsentPurges = 1000;

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

bool ClusterSync::publish(Record record) {
  if (phase_ != Phase::Up) {
    ++counters_.local_only;
    log::warn(
        "cluster: {} changed here only: Redis {} is unreachable ({}); it is sent when "
        "Redis is back",
        record.key, config_.redis, last_error_);
    return false;
  }
  ++counters_.published;
  sendRecord(record);
  return true;
}

void ClusterSync::sendRecord(const Record& record) {
  const uint64_t generation = generation_;
  commands_->command({"EVAL", std::string(kSetIfNewer), "2", key("state"), key("events"),
                      record.key, std::to_string(record.version), record.by, encode(record)},
                     [this, generation, mine = record](const redisReply* r) {
                       if (r == nullptr || generation != generation_) return;
                       if (r->type == REDIS_REPLY_ERROR) {
                         ++counters_.invalid;
                         log::error("cluster: writing {}: {}", mine.key, replyText(r));
                         return;
                       }
                       if (r->type != REDIS_REPLY_STRING) return;  // written and published
                       // A newer version was there: it wins everywhere, here too.
                       auto newer = decode(mine.key, replyText(r));
                       if (!newer || (newer->version == mine.version && newer->by == mine.by))
                         return;
                       ++counters_.conflicts;
                       log::warn(
                           "cluster: conflict on {}: this instance's change (version {}) lost to "
                           "instance {}'s (version {}); last writer wins",
                           mine.key, mine.version, newer->by, newer->version);
                       receiveRecord(*newer, "won");
                     });
}

void ClusterSync::sendPurge(const PurgeEvent& event) {
  const uint64_t generation = generation_;
  commands_->command(
      {"EVAL", std::string(kPurge), "2", key("purges"), key("events"), encode(event)},
      [this, generation](const redisReply* r) {
        if (r == nullptr || generation != generation_) return;
        if (r->type == REDIS_REPLY_ERROR) {
          ++counters_.invalid;
          log::error("cluster: sending a purge: {}", replyText(r));
        }
      });
}

bool ClusterSync::readOnlyChanged() {
  return publish(book_.local(std::string(kReadOnlyKey), config_.instance,
                             readOnlyData(read_only_.view()), nowMs()));
}

bool ClusterSync::serverStateChanged(std::string_view pool, std::string_view server,
                                     health::AdminState state) {
  return publish(
      book_.local(serverKey(pool, server), config_.instance, serverData(state), nowMs()));
}

bool ClusterSync::poolPauseChanged(std::string_view pool, bool paused) {
  return publish(book_.local(poolKey(pool), config_.instance, poolData(paused), nowMs()));
}

bool ClusterSync::purged(PurgeEvent event) {
  event.by = config_.instance;
  if (phase_ != Phase::Up) {
    ++counters_.purges_local_only;
    if (unsent_.size() >= kMaxUnsentPurges) {
      // The oldest is dropped: the other instances may keep what it named until it expires.
      unsent_.pop_front();
      log::error("cluster: more than {} purges made while Redis is away; dropping the oldest",
                 kMaxUnsentPurges);
    }
    unsent_.push_back(std::move(event));
    return false;
  }
  ++counters_.purges_published;
  sendPurge(event);
  return true;
}

}  // namespace gatehouse::cluster
