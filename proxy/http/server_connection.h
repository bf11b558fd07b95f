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
  // The worker took a new config. HTTP/2 answers with a graceful GOAWAY: its streams finish
  // and the client opens a new connection onto the new settings, so no old snapshot lives on
  // behind a connection that may last for hours. HTTP/1.1 continues undisturbed (the default):
  // closing one that is idle races with the client's next request.
  virtual void onReload() {}
};

}  // namespace gatehouse::http
