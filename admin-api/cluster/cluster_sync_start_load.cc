// The load at start: before the workers serve anything, one blocking round trip (hiredis'
// synchronous API, bounded by cluster.timeout) reads the site's state, so that a new instance
// does not serve a moment with what the others switched off (read-only mode, a drained server).
// Redis away: the instance starts with its own state, and the asynchronous links catch up later.
#include <event2/event.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <thread>

#include "admin-api/cluster/cluster_sync.h"
#include "admin-api/cluster/redis_reply.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {
namespace {

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

// What a failed blocking command says: Redis' error, else hiredis' (a timeout, a closed link).
std::string commandFailure(const char* what, redisContext* c, const SyncReply& reply) {
  return fmt::format("{}: {}", what, reply ? replyText(reply.get()) : std::string(c->errstr));
}

timeval toTimeval(std::chrono::milliseconds timeout) {
  return {static_cast<time_t>(timeout.count() / 1000),
          static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
}

}  // namespace

void ClusterSync::loadAtStart() {
  const timeval tv = toTimeval(config_.timeout);
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
  if (!c || c->err) return c ? c->errstr : "out of memory";
  redisSetTimeout(c, toTimeval(config_.timeout));
  if (!config_.password.empty()) {
    SyncReply r = syncCommand(c, {"AUTH", config_.password});
    if (isErrorReply(r.get())) return commandFailure("AUTH", c, r);
  }
  SyncReply selected = syncCommand(c, {"SELECT", std::to_string(config_.db)});
  if (isErrorReply(selected.get())) return commandFailure("SELECT", c, selected);
  SyncReply state = syncCommand(c, {"HGETALL", key("state")});
  if (isErrorReply(state.get())) return commandFailure("HGETALL", c, state);
  size_t loaded = 0;
  for (const auto& [field, value] : replyPairs(state.get())) {
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
    last_purge_id_ = replyText(last->element[0]->element[0]);
  log::info("cluster: loaded the site's state at start: {} key(s)", loaded);
  return {};
}

}  // namespace gatehouse::cluster
