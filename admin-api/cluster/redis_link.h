#pragma once
// One asynchronous connection to Redis on the main loop: hiredis' async context with its
// libevent adapter, owned here (RAII: the destructor frees it, and hiredis then calls every
// pending reply callback with no reply). Nothing here blocks: connecting, writing and reading
// are events of the loop, so the data path never waits on Redis.

#include <event2/event.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;
struct redisReply;
struct redisContext;

namespace gatehouse::cluster {

class RedisLink {
 public:
  // Called with the reply, or with nullptr when the link went away before it came (the caller
  // must then touch nothing: its owner may be on its way out).
  using OnReply = std::function<void(const redisReply*)>;
  // Called once, when connecting fails or an established connection drops, with why.
  using OnDown = std::function<void(const std::string& why)>;

  // Starts connecting to host:port (a literal address is best: hiredis resolves names itself).
  // Null with `why` set when not even the attempt could start.
  static std::unique_ptr<RedisLink> open(event_base* base, const std::string& host, uint16_t port,
                                         OnDown on_down, std::string& why);
  // The same through a Unix socket (the TLS bridge's, net/tls_bridge.h).
  static std::unique_ptr<RedisLink> openUnix(event_base* base, const std::string& path,
                                             OnDown on_down, std::string& why);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  // Queues a command (sent once connected). False when the link is down. A `persistent`
  // callback (SUBSCRIBE) is called for every message until the link goes away.
  bool command(const std::vector<std::string>& argv, OnReply on_reply, bool persistent = false);
  // Forgets the owner's callbacks: nothing more is reported (before a deferred delete).
  void detach() { on_down_ = nullptr; }
  bool connected() const { return connected_; }

 private:
  RedisLink() = default;
  static std::unique_ptr<RedisLink> attach(event_base* base, redisAsyncContext* context,
                                           OnDown on_down, std::string& why);
  static void onConnect(const redisAsyncContext* context, int status);
  static void onDisconnect(const redisAsyncContext* context, int status);
  static void onReply(redisAsyncContext* context, void* reply, void* privdata);
  void down(const std::string& why);

  redisAsyncContext* context_ = nullptr;  // null once hiredis has freed it
  bool connected_ = false;
  OnDown on_down_;
};

}  // namespace gatehouse::cluster
