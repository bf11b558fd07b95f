#pragma once
// The owned, protocol-neutral RequestHead that the rest of the proxy sees, made from the
// parser's views of an HTTP/1 request head before the input buffer they point into moves on.
// Pure: no I/O, so the HTTP/1 codec and the tests use it alike.

#include "proxy/http/http1_parser.h"
#include "proxy/http/message.h"

namespace gatehouse::http {

// Copies the head's strings and end-to-end fields. Dropped: hop-by-hop fields (Upgrade kept
// for a tunnel), Expect (the codec answers 100-continue itself) and Content-Length (the
// framing is each codec's to write). An absolute-form target ("http://host/path") becomes
// origin-form and its host wins over Host (RFC 9112 §3.2.2). The authority is empty for
// HTTP/1.0 without Host.
RequestHead toRequestHead(const RequestHeadView& view);
// The same, written over `head` (every member set anew), reusing the capacity of its strings
// and fields: a reused Exchange's request head allocates nothing for a head like the last.
void toRequestHead(const RequestHeadView& view, RequestHead& head);

}  // namespace gatehouse::http
