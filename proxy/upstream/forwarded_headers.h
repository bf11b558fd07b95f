#pragma once
// The fields a backend learns the client from. gatehouse is the edge: whatever a client sent
// in X-Forwarded-* is replaced, never appended to, so a client cannot forge its address.

#include "proxy/http/exchange.h"

namespace gatehouse::upstream {

// Sets X-Forwarded-For/-Proto/-Host and adds Via: 1.1 gatehouse (RFC 9110 §7.6.3).
void addForwardedHeaders(http::RequestHead& head, const http::ClientInfo& client);
// Adds Via to a response going back to the client.
void addResponseVia(http::HeaderMap& headers);

}  // namespace gatehouse::upstream
