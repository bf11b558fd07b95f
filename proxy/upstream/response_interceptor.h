#pragma once
// What a handler wrapping UpstreamHandler (the cache) sees of the backend's response, and where
// it may take over: store the response while it streams, answer a 304 from a stored object, or
// serve a stale copy when the backend fails. UpstreamHandler calls these on its loop, in order:
// onBackendHead, onBackendBody*, then exactly one of onBackendEnd / onBackendAbort; or
// onBackendError when no response head came.

#include <event2/buffer.h>

#include "proxy/http/message.h"

namespace gatehouse::upstream {

class ResponseInterceptor {
 public:
  enum class HeadAction {
    Forward,  // send the (possibly modified) head and the body to the client
    Consume,  // the interceptor has answered the client; the body is read and dropped
  };

  virtual ~ResponseInterceptor() = default;
  virtual HeadAction onBackendHead(http::ResponseHead& head) = 0;
  // An interim response (103 Early Hints, ...) before the head; it goes to the client after
  // this, and is never the response (nor stored).
  virtual void onBackendInterim(const http::ResponseHead& /*head*/) {}
  // A body chunk before it goes to the client; read it without draining.
  virtual void onBackendBody(const evbuffer* data) = 0;
  virtual void onBackendEnd() = 0;
  // The response was cut short (backend or client failure after the head).
  virtual void onBackendAbort() = 0;
  // No usable response (no server, refused, timeout, invalid); `status` is the error we would
  // send. Returns true when the interceptor answered the client instead.
  virtual bool onBackendError(int status) = 0;
};

}  // namespace gatehouse::upstream
