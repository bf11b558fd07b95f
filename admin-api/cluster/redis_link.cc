#include "admin-api/cluster/redis_link.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace gatehouse::cluster {
namespace {

// What a callback carries through hiredis' void* privdata.
struct Pending {
  RedisLink::OnReply on_reply;
  bool persistent;
};

}  // namespace

std::unique_ptr<RedisLink> RedisLink::open(event_base* base, const std::string& host, uint16_t port,
                                           OnDown on_down, std::string& why) {
  return attach(base, redisAsyncConnect(host.c_str(), port), std::move(on_down), why);
}

std::unique_ptr<RedisLink> RedisLink::openUnix(event_base* base, const std::string& path,
                                               OnDown on_down, std::string& why) {
  return attach(base, redisAsyncConnectUnix(path.c_str()), std::move(on_down), why);
}

std::unique_ptr<RedisLink> RedisLink::attach(event_base* base, redisAsyncContext* context,
                                             OnDown on_down, std::string& why) {
  if (context == nullptr) {
    why = "out of memory";
    return nullptr;
  }
  if (context->err) {
    why = context->errstr;
    redisAsyncFree(context);
    return nullptr;
  }
  std::unique_ptr<RedisLink> link(new RedisLink());
  link->context_ = context;
  link->on_down_ = std::move(on_down);
  context->data = link.get();
  redisLibeventAttach(context, base);
  redisAsyncSetConnectCallback(context, &RedisLink::onConnect);
  redisAsyncSetDisconnectCallback(context, &RedisLink::onDisconnect);
  return link;
}

RedisLink::~RedisLink() {
  if (context_ == nullptr) return;
  // hiredis calls the disconnect callback from inside the free: it must find nobody.
  context_->data = nullptr;
  redisAsyncFree(context_);
}

bool RedisLink::command(const std::vector<std::string>& argv, OnReply on_reply, bool persistent) {
  if (context_ == nullptr) return false;
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* pending = new Pending{std::move(on_reply), persistent};
  if (redisAsyncCommandArgv(context_, &RedisLink::onReply, pending, static_cast<int>(args.size()),
                            args.data(), lengths.data()) != REDIS_OK) {
    delete pending;
    return false;
  }
  return true;
}

void RedisLink::onConnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisLink*>(context->data);
  if (self == nullptr) return;
  if (status == REDIS_OK) {
    self->connected_ = true;
    return;
  }
  // hiredis frees the context after this callback.
  self->context_ = nullptr;
  self->down(context->errstr[0] ? context->errstr : "connection failed");
}

void RedisLink::onDisconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisLink*>(context->data);
  if (self == nullptr) return;
  self->context_ = nullptr;  // freed by hiredis after this callback
  self->connected_ = false;
  self->down(status == REDIS_OK ? "closed"
                                : (context->errstr[0] ? context->errstr : "connection lost"));
}

void RedisLink::onReply(redisAsyncContext*, void* reply, void* privdata) {
  auto* pending = static_cast<Pending*>(privdata);
  if (pending == nullptr) return;
  const auto* r = static_cast<const redisReply*>(reply);
  // A persistent callback (a subscription) lives until hiredis lets go of it with no reply.
  const bool last = r == nullptr || !pending->persistent;
  if (pending->on_reply) pending->on_reply(r);
  if (last) delete pending;
}

void RedisLink::down(const std::string& why) {
  OnDown f = std::move(on_down_);
  on_down_ = nullptr;
  if (f) f(why);  // may destroy this object: nothing after
}

}  // namespace gatehouse::cluster
