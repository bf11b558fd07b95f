#pragma once
// The request-target and authority rules, one copy for both protocols: HTTP/1's request-line
// and Host (http1_parser.cc) and HTTP/2's :path and :authority (http2_stream.cc) are judged by
// the same functions, so neither codec forwards what the other would refuse.

#include <string_view>

namespace gatehouse::http {

// request-target bytes: visible ASCII only, so no SP, CTL, DEL or 8-bit byte can hide in it.
inline bool isTargetByte(char c) {
  return c > 0x20 && c < 0x7F;
}

// authority = host [ ":" port ] (RFC 3986 §3.2), as plausible for http(s): an IP-literal or a
// reg-name of unreserved, pct-encoded and sub-delims except ',' (the list separator a peer that
// joins repeated fields would produce); no userinfo ('@'), no path; a port is 1-5 digits.
bool isAuthority(std::string_view authority, bool port_required);

// The four forms of RFC 9112 §3.2, each only with the methods that may use it, for a target whose
// bytes are already known to be target bytes. A fragment is never sent by a client, and peers
// disagree on whether '#' ends the path, so it is refused.
bool isTargetForm(std::string_view method, std::string_view target);

// An HTTP/2 :path (RFC 9113 §8.3.1): origin-form, or "*" for OPTIONS; target bytes only, no '#'.
// Never for CONNECT, which has no :path.
bool isHttp2Path(std::string_view method, std::string_view path);

}  // namespace gatehouse::http
