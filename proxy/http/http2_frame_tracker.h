#pragma once
// Follows the frame boundaries of what a client sends, beside nghttp2, for the one thing
// nghttp2 does not tell: whether a header block (HEADERS and its CONTINUATIONs, RFC 9113 §4.3)
// is unfinished. While one is, nothing else may arrive on the connection and the stream it
// opens has no head yet: timeouts.client_header applies (Http2ServerConnection). Pure and cheap:
// a few comparisons per frame, the payload is skipped.

#include <cstddef>
#include <cstdint>

namespace gatehouse::http {

class Http2FrameTracker {
 public:
  // The client's bytes, in order, from the first byte of the connection preface.
  void consume(const uint8_t* data, size_t n) {
    while (n > 0) {
      if (preface_left_ > 0) {
        const size_t take = n < preface_left_ ? n : preface_left_;
        preface_left_ -= take;
        data += take;
        n -= take;
      } else if (payload_left_ > 0) {
        const size_t take = n < payload_left_ ? n : payload_left_;
        payload_left_ -= take;
        data += take;
        n -= take;
        if (payload_left_ == 0) endFrame();
      } else {
        header_[header_have_++] = *data++;
        --n;
        if (header_have_ == kHeaderSize) beginFrame();
      }
    }
  }
  // A HEADERS frame has begun and the frame that ends its block (END_HEADERS) has not fully
  // arrived.
  bool inHeaderBlock() const { return block_open_; }

 private:
  static constexpr size_t kPrefaceSize = 24;  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
  static constexpr size_t kHeaderSize = 9;
  static constexpr uint8_t kHeaders = 0x1, kContinuation = 0x9, kEndHeaders = 0x4;

  void beginFrame() {
    header_have_ = 0;
    payload_left_ = size_t{header_[0]} << 16 | size_t{header_[1]} << 8 | header_[2];
    const uint8_t type = header_[3];
    if (type == kHeaders) block_open_ = true;
    ends_block_ = (type == kHeaders || type == kContinuation) && (header_[4] & kEndHeaders);
    if (payload_left_ == 0) endFrame();
  }
  void endFrame() {
    if (ends_block_) block_open_ = false;
    ends_block_ = false;
  }

  size_t preface_left_ = kPrefaceSize;
  uint8_t header_[kHeaderSize] = {};
  size_t header_have_ = 0;
  size_t payload_left_ = 0;
  bool ends_block_ = false;  // the frame being read carries END_HEADERS
  bool block_open_ = false;
};

}  // namespace gatehouse::http
