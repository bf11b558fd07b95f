#include "admin-api/cluster/cluster_sync.h"

#include <event2/event.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <map>
#include <thread>

#include "admin-api/cluster/process_state.h"
#include "proxy/base/log.h"
#include "proxy/pipeline/invalidation_feed.h"

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

// Writes this instance's heartbeat and answers every live one, forgetting the expired.
// KEYS: instance set. ARGV: name, heartbeat, ttl ms, instance key prefix.
constexpr std::string_view kHeartbeat = R"(
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2], 'PX', ARGV[3])
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local hb = redis.call('GET', ARGV[4] .. name)
  if hb then table.insert(out, hb) else redis.call('SREM', KEYS[1], name) end
end
return out)";

constexpr size_t kMaxUnsentPurges = 1000;
constexpr size_t kCatchUpPurges = 10000;

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string str(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string(r->str, r->len)
             : std::string();
}

bool isError(const redisReply* r) {
  return r == nullptr || r->type == REDIS_REPLY_ERROR;
}

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using SyncContext = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using SyncReply = std::unique_ptr<redisReply, ReplyFree>;

SyncReply syncCommand(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  return SyncReply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data())));
}

// The field -> value pairs of an HGETALL answer.
std::vector<std::pair<std::string, std::string>> pairs(const redisReply* r) {
  std::vector<std::pair<std::string, std::string>> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2)
    out.emplace_back(str(r->element[i]), str(r->element[i + 1]));
  return out;
}

}  // namespace

ClusterSync::ClusterSync(net::EventLoop& loop, server::ProcessControl& control,
                         const config::ClusterConfig& config, std::string address,
                         std::function<void()> persist)
    : loop_(loop),
      control_(control),
      read_only_(gate::ReadOnlyState::process()),
      config_(config),
      address_(std::move(address)),
      persist_(std::move(persist)),
      down_since_(std::chrono::system_clock::now()),
      retry_timer_(loop.base(), [this] { connect(); }),
      deadline_timer_(loop.base(),
                      [this] {
                        if (phase_ != Phase::Up)
                          linkDown(generation_,
                                   fmt::format("no answer within {} ms", config_.timeout.count()));
                      }),
      heartbeat_timer_(loop.base(), [this] {
        beat();
        heartbeat_timer_.arm(config_.heartbeat);
      }) {}

ClusterSync::~ClusterSync() {
  feed_subscription_.reset();
  alive_.reset();
  // The links' destructors free their contexts; the pending callbacks get no reply and return.
  ++generation_;
  commands_.reset();
  subscriber_.reset();
}

std::string ClusterSync::key(std::string_view suffix) const {
  return fmt::format("gatehouse:{}:{}", config_.name, suffix);
}

Result<void> ClusterSync::start() {
  if (config_.use_tls) {
    auto ctx = tlsContext();
    if (!ctx) return Error{"cluster: " + ctx.error().message};
    tls_ctx_ = std::move(*ctx);
  }
  log::info("cluster: site {}, instance {}, Redis {}{}", config_.name, config_.instance,
            config_.redis, config_.use_tls ? fmt::format(" (TLS, {})", tlsDescription()) : "");
  loadAtStart();
  connect();
  heartbeat_timer_.arm(config_.heartbeat);
  net::EventLoop* loop = &loop_;  // the main loop outlives this object
  feed_subscription_ = pipeline::InvalidationFeed::process().subscribe(
      [this, loop, alive = std::weak_ptr<bool>(alive_)](const pipeline::Invalidation& inv) {
        loop->post([this, alive, inv] {
          if (!alive.lock()) return;
          PurgeEvent event;
          event.url_key = inv.url_key;
          event.prefix = inv.prefix;
          if (!event.url_key.empty() || !event.prefix.empty()) purged(std::move(event));
          for (const std::string& tag : inv.tags) {
            PurgeEvent one;
            one.tag = tag;
            purged(std::move(one));
          }
        });
      });
  return {};
}

Result<net::SslCtxPtr> makeRedisTlsContext(const config::ClusterConfig& config) {
  const config::ClusterTlsConfig& tls = config.tls;
  return net::makeTlsClientContext(
      {tls.ca_file, tls.cert_file, tls.key_file, tls.ca_origin, tls.cert_origin, tls.key_origin});
}

Result<net::SslCtxPtr> ClusterSync::tlsContext() const {
  return makeRedisTlsContext(config_);
}

void ClusterSync::reloadTlsFiles() {
  // Read again at each attempt, so that a renewed certificate or CA is used from the next
  // connection on without a restart; one that cannot be used now keeps the last good context.
  auto ctx = tlsContext();
  if (ctx) {
    tls_ctx_ = std::move(*ctx);
    tls_files_error_.clear();
  } else if (ctx.error().message != tls_files_error_) {
    tls_files_error_ = ctx.error().message;
    log::error("cluster: {}; keeping the certificates read before", tls_files_error_);
  }
}

net::TlsBridge::Target ClusterSync::tlsTarget() const {
  return {config_.host, config_.port, config_.tls.server_name};
}

std::string ClusterSync::tlsDescription() const {
  return fmt::format(
      "certificate checked for {}, CAs from {}{}",
      config_.tls.server_name.empty() ? config_.host : config_.tls.server_name,
      config_.tls.ca_file.empty() ? "the system" : config_.tls.ca_file,
      config_.tls.cert_file.empty() ? "" : ", client certificate " + config_.tls.cert_file);
}

void ClusterSync::loadAtStart() {
  const timeval tv{static_cast<time_t>(config_.timeout.count() / 1000),
                   static_cast<suseconds_t>(config_.timeout.count() % 1000 * 1000)};
  std::string failure;
  bool tls_failure = false;
  if (!config_.use_tls) {
    SyncContext c(redisConnectWithTimeout(config_.host.c_str(), config_.port, tv));
    failure = loadFrom(c.get());
  } else {
    // hiredis' blocking API through the bridge: the bridge runs meanwhile on a loop of its own,
    // on a thread of its own, and is gone before the main loop starts.
    net::EventLoop bridge_loop;
    auto bridge = net::TlsBridge::open(bridge_loop.base(), tlsTarget(), tls_ctx_);
    if (!bridge) {
      failure = bridge.error().message;
    } else {
      std::thread runner([&bridge_loop] { bridge_loop.run(); });
      {
        SyncContext c(redisConnectUnixWithTimeout((*bridge)->socketPath().c_str(), tv));
        failure = loadFrom(c.get());
      }  // closed here: its relay closes too
      bridge_loop.stop();
      runner.join();
      if (!failure.empty() && !(*bridge)->error().empty()) {
        failure = (*bridge)->error();  // what hiredis saw (a closed connection) says less
        tls_failure = (*bridge)->tlsFailed();
      }
      // A freed bufferevent with deferred callbacks still queued is released by them, on its
      // loop: one more pass runs them (the loop's own free would not, and they would leak).
      (*bridge).reset();
      event_base_loop(bridge_loop.base(), EVLOOP_NONBLOCK);
    }
  }
  if (failure.empty()) return;
  ++(tls_failure ? counters_.tls_failures : counters_.connect_failures);
  last_error_ = failure;
  log::warn(
      "cluster: could not load the site's state from {} at start ({}); serving with this "
      "instance's own state until Redis answers",
      config_.redis, failure);
}

std::string ClusterSync::loadFrom(redisContext* c) {
  const timeval tv{static_cast<time_t>(config_.timeout.count() / 1000),
                   static_cast<suseconds_t>(config_.timeout.count() % 1000 * 1000)};
  if (!c || c->err) return c ? c->errstr : "out of memory";
  redisSetTimeout(c, tv);
  if (!config_.password.empty()) {
    SyncReply r = syncCommand(c, {"AUTH", config_.password});
    if (isError(r.get())) return "AUTH: " + (r ? str(r.get()) : std::string(c->errstr));
  }
  SyncReply selected = syncCommand(c, {"SELECT", std::to_string(config_.db)});
  if (isError(selected.get()))
    return "SELECT: " + (selected ? str(selected.get()) : std::string(c->errstr));
  SyncReply state = syncCommand(c, {"HGETALL", key("state")});
  if (isError(state.get()))
    return "HGETALL: " + (state ? str(state.get()) : std::string(c->errstr));
  size_t loaded = 0;
  for (const auto& [field, value] : pairs(state.get())) {
    auto record = decode(field, value);
    if (!record) {
      ++counters_.invalid;
      log::warn("cluster: ignoring {} in {}: not a record", field, key("state"));
      continue;
    }
    receiveRecord(*record, "loaded");
    ++loaded;
  }
  // Purges before now concern objects this new process does not have: start after them.
  SyncReply last = syncCommand(c, {"XREVRANGE", key("purges"), "+", "-", "COUNT", "1"});
  if (last && last->type == REDIS_REPLY_ARRAY && last->elements == 1 &&
      last->element[0]->type == REDIS_REPLY_ARRAY && last->element[0]->elements >= 1)
    last_purge_id_ = str(last->element[0]->element[0]);
  log::info("cluster: loaded the site's state at start: {} key(s)", loaded);
  return {};
}

void ClusterSync::connect() {
  const uint64_t generation = ++generation_;
  phase_ = Phase::Connecting;
  auto on_down = [this, generation](const std::string& why) { linkDown(generation, why); };
  std::string why;
  const auto open = [&] {
    return bridge_ ? RedisLink::openUnix(loop_.base(), bridge_->socketPath(), on_down, why)
                   : RedisLink::open(loop_.base(), config_.host, config_.port, on_down, why);
  };
  if (config_.use_tls) {
    reloadTlsFiles();
    auto bridge = net::TlsBridge::open(loop_.base(), tlsTarget(), tls_ctx_);
    if (!bridge) return linkDown(generation, bridge.error().message);
    bridge_ = std::move(*bridge);
  }
  commands_ = open();
  if (commands_) subscriber_ = open();
  if (!commands_ || !subscriber_) return linkDown(generation, why);
  deadline_timer_.arm(config_.timeout);
  auto check = [this, generation](const char* what) {
    return [this, generation, what](const redisReply* r) {
      if (r == nullptr || generation != generation_) return;
      if (r->type == REDIS_REPLY_ERROR) linkDown(generation, fmt::format("{}: {}", what, str(r)));
    };
  };
  for (RedisLink* link : {commands_.get(), subscriber_.get()})
    if (!config_.password.empty()) link->command({"AUTH", config_.password}, check("AUTH"));
  commands_->command({"SELECT", std::to_string(config_.db)}, check("SELECT"));
  // Subscribed first, loaded second: a change published in between is heard, not missed.
  subscriber_->command(
      {"SUBSCRIBE", key("events")},
      [this, generation](const redisReply* r) {
        if (r == nullptr || generation != generation_) return;
        if (r->type == REDIS_REPLY_ERROR) return linkDown(generation, "SUBSCRIBE: " + str(r));
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
        if (str(r->element[0]) == "subscribe") return resync();
        onMessage(r);
      },
      /*persistent=*/true);
}

void ClusterSync::linkDown(uint64_t generation, const std::string& why) {
  if (generation != generation_) return;
  ++generation_;  // whatever the old links still answer is ignored
  const bool was_up = phase_ == Phase::Up;
  phase_ = Phase::Down;
  deadline_timer_.cancel();
  heartbeat_pending_ = false;
  instances_.clear();
  for (auto* link : {&commands_, &subscriber_}) {
    if (!*link) continue;
    (*link)->detach();
    // It may be the one calling us: freed once this callback has returned.
    loop_.deferDelete(std::move(*link));
  }
  bool tls_failure = false;
  std::string reason = why;
  if (bridge_) {
    // hiredis only saw its connection close: the bridge knows why (OpenSSL's reason).
    if (!bridge_->error().empty()) {
      reason = bridge_->error();
      tls_failure = bridge_->tlsFailed();
    }
    loop_.deferDelete(std::move(bridge_));
  }
  last_error_ = reason;
  if (was_up) {
    ++counters_.disconnects;
    down_since_ = std::chrono::system_clock::now();
    backoff_ = std::chrono::milliseconds(100);
    log::error("cluster: lost Redis {} ({}); serving on with the state as it is, retrying",
               config_.redis, reason);
    logged_down_ = true;
    logged_reason_ = reason;
  } else {
    ++(tls_failure ? counters_.tls_failures : counters_.connect_failures);
    if (!logged_down_ || reason != logged_reason_) {
      log::error("cluster: cannot reach Redis {} ({}); retrying every {} ms at most", config_.redis,
                 reason, config_.retry_max.count());
      logged_down_ = true;
      logged_reason_ = reason;
    } else {
      log::debug("cluster: Redis {} still unreachable: {}", config_.redis, reason);
    }
  }
  retry_timer_.arm(backoff_);
  backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, config_.retry_max);
}

void ClusterSync::resync() {
  const uint64_t generation = generation_;
  commands_->command({"HGETALL", key("state")}, [this, generation](const redisReply* r) {
    if (r == nullptr || generation != generation_) return;
    if (r->type == REDIS_REPLY_ERROR) return linkDown(generation, "HGETALL: " + str(r));
    onStateHash(r);
  });
}

void ClusterSync::onStateHash(const redisReply* reply) {
  std::map<std::string, Record, std::less<>> remote;
  for (const auto& [field, value] : pairs(reply)) {
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
                           auto event = decodePurge(str(fields->element[1]));
                           if (event) receivePurge(str(entry->element[0]), *event);
                         }
                       }
                       becomeUp();
                     });
}

void ClusterSync::becomeUp() {
  phase_ = Phase::Up;
  deadline_timer_.cancel();
  ++counters_.connects;
  backoff_ = std::chrono::milliseconds(100);
  last_error_.clear();
  logged_down_ = false;
  while (!unsent_.empty()) {
    sendPurge(unsent_.front());
    unsent_.pop_front();
  }
  log::info("cluster: connected to Redis {} (site {}, instance {})", config_.redis, config_.name,
            config_.instance);
  beat();
}

void ClusterSync::onMessage(const redisReply* reply) {
  if (str(reply->element[0]) != "message") return;
  const std::string payload = str(reply->element[2]);
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
                         log::error("cluster: writing {}: {}", mine.key, str(r));
                         return;
                       }
                       if (r->type != REDIS_REPLY_STRING) return;  // written and published
                       // A newer version was there: it wins everywhere, here too.
                       auto newer = decode(mine.key, str(r));
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
          log::error("cluster: sending a purge: {}", str(r));
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

nlohmann::json ClusterSync::heartbeat() {
  const server::ProcessStatus status = control_.status();
  uint64_t requests = 0;
  control_.forEachCounters([&](const server::TrafficCounters& c) {
    for (const auto& n : c.responses_by_class)
      requests += n.load(std::memory_order_relaxed);
  });
  const auto now = std::chrono::steady_clock::now();
  if (last_requests_at_ != std::chrono::steady_clock::time_point{} && now > last_requests_at_) {
    const double seconds = std::chrono::duration<double>(now - last_requests_at_).count();
    if (seconds >= 0.1) requests_per_s_ = static_cast<double>(requests - last_requests_) / seconds;
  }
  if (now - last_requests_at_ >= std::chrono::milliseconds(100)) {
    last_requests_ = requests;
    last_requests_at_ = now;
  }
  // Servers not ready here, with what is still in flight to them: `ctl drain --wait` on any
  // instance waits for every instance's count to reach 0.
  nlohmann::json servers = nlohmann::json::object();
  auto snapshot = control_.snapshot();
  for (const auto& pool : snapshot->pools)
    for (const auto& s : pool->servers())
      if (s->adminState() != health::AdminState::Ready)
        servers[pool->name() + "/" + s->name()] = {{"state", toString(s->adminState())},
                                                   {"in_flight", s->inFlight()}};
  const auto started =
      std::chrono::duration_cast<std::chrono::seconds>(status.started.time_since_epoch()).count();
  return {{"instance", config_.instance},
          {"address", address_},
          {"version", status.version},
          {"started", started},
          {"requests_per_s", static_cast<double>(static_cast<int64_t>(requests_per_s_ * 10)) / 10},
          {"read_only", read_only_.enabled()},
          {"config_digest", snapshot->config->digest},
          {"servers", std::move(servers)}};
}

void ClusterSync::beat() {
  if (phase_ != Phase::Up) return;
  const auto now = std::chrono::steady_clock::now();
  if (heartbeat_pending_) {
    // A Redis that accepts connections but does not answer (stopped, swapping) is as good as
    // gone: reconnect rather than pile up commands.
    if (now - heartbeat_sent_ > config_.timeout)
      linkDown(generation_, fmt::format("no answer within {} ms", config_.timeout.count()));
    return;
  }
  heartbeat_pending_ = true;
  heartbeat_sent_ = now;
  const uint64_t generation = generation_;
  commands_->command({"EVAL", std::string(kHeartbeat), "1", key("instances"), config_.instance,
                      heartbeat().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      std::to_string(config_.instance_ttl.count()), key("instance:")},
                     [this, generation](const redisReply* r) {
                       if (r == nullptr || generation != generation_) return;
                       heartbeat_pending_ = false;
                       if (r->type == REDIS_REPLY_ERROR) {
                         ++counters_.invalid;
                         log::error("cluster: heartbeat: {}", str(r));
                         return;
                       }
                       onHeartbeats(r);
                     });
}

void ClusterSync::onHeartbeats(const redisReply* reply) {
  std::vector<nlohmann::json> live;
  if (reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; ++i) {
      nlohmann::json hb = nlohmann::json::parse(str(reply->element[i]), nullptr, false);
      if (hb.is_object() && hb.contains("instance")) live.push_back(std::move(hb));
    }
  }
  std::sort(live.begin(), live.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("instance", "") < b.value("instance", "");
  });
  instances_ = std::move(live);
}

const std::vector<nlohmann::json>& ClusterSync::instances() const {
  return instances_;
}

size_t ClusterSync::configMismatches() const {
  const std::string mine = control_.snapshot()->config->digest;
  return static_cast<size_t>(std::count_if(
      instances_.begin(), instances_.end(),
      [&](const nlohmann::json& hb) { return hb.value("config_digest", "") != mine; }));
}

}  // namespace gatehouse::cluster
