#pragma once
// HTTP/2 frames as raw bytes, for the component tests that send what no client library would
// (floods, malformed requests) and read exactly what the server wrote.

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::http::testsupport {

// One frame as read off the wire.
struct RawFrame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
  std::string payload;
};
inline std::string rawFrame(uint8_t type, uint8_t flags, uint32_t stream,
                            std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f += static_cast<char>(n >> 16);
  f += static_cast<char>(n >> 8);
  f += static_cast<char>(n);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  f += static_cast<char>((stream >> 24) & 0x7f);
  f += static_cast<char>(stream >> 16);
  f += static_cast<char>(stream >> 8);
  f += static_cast<char>(stream);
  f += payload;
  return f;
}
// The client preface with an empty SETTINGS frame.
inline std::string rawPreface() {
  return std::string(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN) +
         rawFrame(NGHTTP2_SETTINGS, 0, 0, "");
}
// A HEADERS frame for "GET|POST / http://a", in static-table HPACK only (no dynamic state).
inline std::string rawRequest(uint32_t stream, bool post, bool end_stream) {
  // :method GET|POST, :path /, :scheme http, :authority "a" (literal, not indexed).
  const std::string block = {
      static_cast<char>(post ? 0x83 : 0x82), '\x84', '\x86', '\x01', '\x01', 'a'};
  uint8_t flags = NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0);
  return rawFrame(NGHTTP2_HEADERS, flags, stream, block);
}
inline std::string rawReset(uint32_t stream, uint32_t code) {
  std::string payload;
  for (int shift = 24; shift >= 0; shift -= 8)
    payload += static_cast<char>((code >> shift) & 0xff);
  return rawFrame(NGHTTP2_RST_STREAM, 0, stream, payload);
}
// Takes the complete frames off the front of bytes.
inline std::vector<RawFrame> takeFrames(std::string& bytes) {
  std::vector<RawFrame> frames;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  while (bytes.size() >= 9) {
    const size_t n = byte(0) << 16 | byte(1) << 8 | byte(2);
    if (bytes.size() < 9 + n) break;
    RawFrame f;
    f.type = static_cast<uint8_t>(byte(3));
    f.flags = static_cast<uint8_t>(byte(4));
    f.stream = (byte(5) & 0x7f) << 24 | byte(6) << 16 | byte(7) << 8 | byte(8);
    f.payload = bytes.substr(9, n);
    frames.push_back(std::move(f));
    bytes.erase(0, 9 + n);
  }
  return frames;
}
// The last stream id of a GOAWAY payload.
inline uint32_t lastStreamOf(const RawFrame& f) {
  uint32_t id = 0;
  for (size_t i = 0; i < 4 && i < f.payload.size(); ++i)
    id = id << 8 | static_cast<uint8_t>(f.payload[i]);
  return id & 0x7fffffff;
}
// The error code of a GOAWAY or RST_STREAM payload.
inline uint32_t errorCodeOf(const RawFrame& f) {
  size_t at = f.type == NGHTTP2_GOAWAY ? 4 : 0;
  uint32_t code = 0;
  for (size_t i = at; i < at + 4 && i < f.payload.size(); ++i)
    code = code << 8 | static_cast<uint8_t>(f.payload[i]);
  return code;
}

// The fields of one HEADERS payload (unpadded, no priority: what nghttp2 sends), decoded with a
// fresh HPACK table: enough for the first response on a connection.
inline HeaderMap decodeHeaders(std::string_view payload) {
  HeaderMap fields;
  nghttp2_hd_inflater* inflater = nullptr;
  nghttp2_hd_inflate_new(&inflater);
  auto* in = reinterpret_cast<const uint8_t*>(payload.data());
  size_t left = payload.size();
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    ssize_t n = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
    if (n < 0) break;
    in += n;
    left -= static_cast<size_t>(n);
    if (flags & NGHTTP2_HD_INFLATE_EMIT)
      fields.add({reinterpret_cast<const char*>(nv.name), nv.namelen},
                 {reinterpret_cast<const char*>(nv.value), nv.valuelen});
    if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
    if (n == 0 && left == 0) break;
  }
  nghttp2_hd_inflate_del(inflater);
  return fields;
}

}  // namespace gatehouse::http::testsupport
