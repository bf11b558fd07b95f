#pragma once
// One admin request on its way through the AdminServer. Decides what it can from the head
// alone (401 before anything else, then 404, 405, 413), so that a refused request is never
// read, let alone acted on; otherwise collects the JSON body (at most kMaxBodyBytes) and calls
// the endpoint once the request has ended.

#include <memory>
#include <string>

#include "admin-api/endpoint.h"
#include "admin-api/router.h"
#include "proxy/http/exchange.h"

namespace gatehouse::admin {

class AdminServer;

// "ip:port" ("[ip]:port" for IPv6): how logs and the admin server name a client's connection.
std::string clientAddress(const http::ClientInfo& client);

class AdminExchange final : public http::Handler {
 public:
  AdminExchange(http::Exchange& exchange, AdminServer& server)
      : exchange_(exchange), server_(server) {}

  // Called once the handler is attached; may answer at once.
  void start();

  void onRequestBody(evbuffer* data) override;
  void onRequestEnd() override;
  void onDownstreamDrained() override {}
  void onDownstreamReset() override {
    done_ = true;
    stream_.reset();
  }

 private:
  // False (and the 401 sent) when the route needs a token the request does not carry.
  bool authorized();
  void run();
  void respond(const AdminResponse& response);

  http::Exchange& exchange_;
  AdminServer& server_;
  Router::Lookup lookup_;
  std::string body_;
  bool done_ = false;             // answered, or the client is gone: no more work
  std::shared_ptr<void> stream_;  // a streaming answer's source (GET /tail), while it runs
};

}  // namespace gatehouse::admin
