#pragma once
// What a worker holds of each client connection, whatever codec ALPN chose for it.

namespace gatehouse::http {

class ServerConnection {
 public:
  virtual ~ServerConnection() = default;
  virtual void start() = 0;
  // Graceful stop: idle connections close now, busy ones after their in-flight exchanges
  // (HTTP/2: GOAWAY, then close when the last stream ends).
  virtual void beginShutdown() = 0;
};

}  // namespace gatehouse::http
