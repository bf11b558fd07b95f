#pragma once
// Serializes HTTP/1.1 heads and chunk framing into an evbuffer. Pure formatting: what to send
// (hop-by-hop fields, framing) is decided by the caller.

#include <event2/buffer.h>

#include <string_view>

#include "proxy/http/message.h"

namespace gatehouse::http {

// "HTTP/1.1 200 OK\r\n" + head.preformatted + fields + extra (already "Name: value\r\n"
// lines) + "\r\n".
void writeResponseHead(evbuffer* out, const ResponseHead& head, std::string_view extra_fields);
// The same head in memory: its size, and the bytes written at `at` (which has that many).
size_t responseHeadSize(const ResponseHead& head, std::string_view extra_fields);
void writeResponseHeadTo(char* at, const ResponseHead& head, std::string_view extra_fields);
// "GET /x HTTP/1.1\r\n" + fields + extra + "\r\n".
void writeRequestHead(evbuffer* out, const RequestHead& head, std::string_view extra_fields);
// Moves all of data into out as one chunk ("<hex>\r\n" data "\r\n"); nothing for empty data.
void writeChunk(evbuffer* out, evbuffer* data);
void writeLastChunk(evbuffer* out);
// "0\r\n" + trailer fields + "\r\n" (RFC 9112 §7.1.2).
void writeLastChunkWithTrailers(evbuffer* out, const HeaderMap& trailers);

}  // namespace gatehouse::http
