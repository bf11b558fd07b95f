#pragma once
// What a backend's response head becomes for the user of its BackendConnection: the parser's
// view (string_views into the connection's input, gone once the head is drained) turned into
// an http::ResponseHead, minus the hop-by-hop fields (RFC 9110 §7.6.1), those the Connection
// field names, and Content-Length (framing is the client codec's to write, never copied).
//
// A final response's end-to-end fields go into one string of HTTP/1 field lines, which the
// head borrows as ResponseHead::preformatted: the codec copies it in one piece (HTTP/2 walks
// the lines), and the connection keeps the string for its next response. A HeaderMap cost two
// strings per field and a pass over all of them per removed name: ~3,000 instructions of a
// ~31,000-instruction pass-through (bench/callgrind.sh). A user that edits fields (the cache,
// a Set-Cookie to drop, a Via to extend) moves them into `headers` first: takeFieldLines().

#include <string>
#include <string_view>

#include "proxy/http/http1_parser.h"
#include "proxy/http/message.h"

namespace gatehouse::upstream {

// A final response's end-to-end fields as field lines, with what was noted while copying them.
class ResponseFieldLines {
 public:
  // Copies the end-to-end fields of `view`. False (and nothing kept) for a head too unusual
  // for the lines: more fields named by Connection than noted here; use structuredHeaders().
  bool assign(const http::ResponseHeadView& view);
  // Adds a field after the others (gatehouse's own: Via, X-Request-Id).
  void append(std::string_view name, std::string_view value);
  std::string_view lines() const { return lines_; }
  bool hasSetCookie() const { return set_cookie_; }
  bool hasVia() const { return via_; }
  bool hasRequestId() const { return request_id_; }

 private:
  std::string lines_;  // its capacity stays with the connection, for the next response
  bool set_cookie_ = false;
  bool via_ = false;
  bool request_id_ = false;
};

// The end-to-end fields of `view` as a HeaderMap; with keep_upgrade (a 101) Upgrade stays.
http::HeaderMap structuredHeaders(const http::ResponseHeadView& view, bool keep_upgrade);

// Moves the lines of head.preformatted into head.headers, ahead of the fields already there
// (the order on the wire is kept); preformatted is empty after.
void takeFieldLines(http::ResponseHead& head);

}  // namespace gatehouse::upstream
