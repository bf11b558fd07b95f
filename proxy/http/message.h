#pragma once
// Request and response heads as every layer past the codec sees them: protocol-neutral (the
// same for HTTP/1.1 and HTTP/2), owning their strings, hop-by-hop fields already removed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"
#include "proxy/http/http2_field_plan.h"

namespace gatehouse::http {

// A member added here is set by both toRequestHead()s (http1_request_head.h): an HTTP/1
// connection reuses its RequestHead for each request, written over in place.
struct RequestHead {
  std::string method;
  std::string target;     // origin-form path and query, as received
  std::string authority;  // Host (HTTP/1) or :authority (HTTP/2)
  std::string scheme = "http";
  int version_minor = 1;  // HTTP/1.x minor; 1 for HTTP/2 streams
  HeaderMap headers;      // end-to-end fields only
  // The fields the proxy adds for the backend (X-Forwarded-*, Via, X-Request-Id), already
  // in HTTP/1 wire form ("Name: value\r\n" lines, field_lines.h) and sent after `headers`:
  // built once per request in one string, not as seven owned fields serialized again.
  std::string forwarding;
  // The body's length when known in advance; nullopt for chunked/streamed bodies.
  std::optional<uint64_t> content_length;
  bool has_body = false;
  bool upgrade = false;  // asks for a protocol switch (WebSocket): Upgrade is kept in headers

  // The path without the query, for routing.
  std::string_view path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
  bool isIdempotent() const {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
           method == "DELETE" || method == "TRACE";
  }
};

struct ResponseHead {
  int status = 200;
  std::string reason;  // empty: the codec uses the standard phrase
  HeaderMap headers;   // end-to-end fields only
  // More fields, already in HTTP/1 wire form ("Name: value\r\n" lines, field_lines.h), sent
  // before `headers`: a cache hit's stored and per-hit fields, copied as bytes rather than
  // field by field. Borrowed: the bytes need only outlive the respondHead() call.
  std::string_view preformatted;
  // What HTTP/2 needs of the first lines of `preformatted`, worked out when they were stored
  // (http2_field_plan.h), so that HTTP/2 does not search them again; empty: it walks them all.
  // Borrowed like them. HTTP/1 ignores it.
  Http2FieldPlan http2_fields;
  // The body's length when known; nullopt means "streamed, length unknown".
  std::optional<uint64_t> content_length;
  bool has_body = true;  // false for 1xx/204/304 and answers to HEAD
};

// Whether `name` is one of the hop-by-hop fields of RFC 9110 §7.6.1 (Connection, Keep-Alive,
// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate), any case.
// The fields a Connection field names are hop-by-hop too; this does not know them.
bool isHopByHop(std::string_view name);

// Removes the hop-by-hop fields of RFC 9110 §7.6.1 and every field named in Connection. With
// keep_upgrade the Upgrade field survives (the tunnel needs it); the caller re-adds
// Connection: upgrade.
void removeHopByHop(HeaderMap& headers, bool keep_upgrade = false);

}  // namespace gatehouse::http
