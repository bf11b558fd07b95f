#pragma once
// Follows the frame boundaries of what a client sends, beside nghttp2, for what nghttp2 does not
// tell: whether a header block (HEADERS and its CONTINUATIONs, RFC 9113 §4.3) is unfinished
// (timeouts.client_header applies then), and each frame's header before nghttp2 reads it, so that
// the rules nghttp2 leaves to us (http2_stream_rules.cc) are checked in order. Pure and cheap:
// a few comparisons per frame; payloads are skipped, but for PRIORITY's five bytes.
//
// Use: advance() over the client's bytes, which stops right after each event; handle the event,
// then feed the same bytes to nghttp2.

#include <cstddef>
#include <cstdint>

namespace gatehouse::http {

class Http2FrameTracker {
 public:
  struct Frame {
    uint8_t type = 0;
    uint8_t flags = 0;
    int32_t stream = 0;
    uint32_t length = 0;
    int32_t dependency = 0;  // PRIORITY's Stream Dependency, once the payload is in
  };
  enum class Event : uint8_t {
    None,             // the bytes ended without one
    Header,           // frame() has just been read, its payload follows
    PriorityPayload,  // a 5-byte PRIORITY frame is complete: frame().dependency is set
  };

  // Consumes the client's bytes, from the first byte of the connection preface, up to and
  // including the next event, or the end of the frame being read (so that nghttp2 has the whole
  // of a frame before the next header is judged), or all n; returns how many.
  size_t advance(const uint8_t* data, size_t n) {
    event_ = Event::None;
    size_t used = 0;
    bool frame_ended = false;
    while (used < n && event_ == Event::None && !frame_ended) {
      if (preface_left_ > 0) {
        const size_t take = n - used < preface_left_ ? n - used : preface_left_;
        preface_left_ -= take;
        used += take;
      } else if (payload_left_ > 0) {
        const size_t take = n - used < payload_left_ ? n - used : payload_left_;
        if (capture_) {
          for (size_t i = 0; i < take; ++i)
            priority_[5 - payload_left_ + i] = data[used + i];
        }
        payload_left_ -= take;
        used += take;
        if (payload_left_ == 0) {
          endFrame();
          frame_ended = true;
        }
      } else {
        header_[header_have_++] = data[used++];
        if (header_have_ == kHeaderSize) beginFrame();
      }
    }
    return used;
  }
  // advance() over everything, events ignored.
  void consume(const uint8_t* data, size_t n) {
    while (n > 0) {
      const size_t used = advance(data, n);
      data += used;
      n -= used;
    }
  }
  Event event() const { return event_; }
  const Frame& frame() const { return frame_; }
  // A HEADERS frame has begun and the frame that ends its block (END_HEADERS) has not fully
  // arrived.
  bool inHeaderBlock() const { return block_open_; }

 private:
  static constexpr size_t kPrefaceSize = 24;  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
  static constexpr size_t kHeaderSize = 9;
  static constexpr uint8_t kHeaders = 0x1, kPriority = 0x2, kContinuation = 0x9;
  static constexpr uint8_t kEndHeaders = 0x4;

  void beginFrame() {
    header_have_ = 0;
    frame_.length = uint32_t{header_[0]} << 16 | uint32_t{header_[1]} << 8 | header_[2];
    frame_.type = header_[3];
    frame_.flags = header_[4];
    frame_.stream =
        static_cast<int32_t>((uint32_t{header_[5]} & 0x7f) << 24 | uint32_t{header_[6]} << 16 |
                             uint32_t{header_[7]} << 8 | header_[8]);
    frame_.dependency = 0;
    payload_left_ = frame_.length;
    if (frame_.type == kHeaders) block_open_ = true;
    ends_block_ =
        (frame_.type == kHeaders || frame_.type == kContinuation) && (frame_.flags & kEndHeaders);
    capture_ = frame_.type == kPriority && frame_.length == 5;
    event_ = Event::Header;
    if (payload_left_ == 0) endFrame();
  }
  void endFrame() {
    if (ends_block_) block_open_ = false;
    ends_block_ = false;
    if (!capture_) return;
    capture_ = false;
    frame_.dependency =
        static_cast<int32_t>((uint32_t{priority_[0]} & 0x7f) << 24 | uint32_t{priority_[1]} << 16 |
                             uint32_t{priority_[2]} << 8 | priority_[3]);
    event_ = Event::PriorityPayload;
  }

  size_t preface_left_ = kPrefaceSize;
  uint8_t header_[kHeaderSize] = {};
  size_t header_have_ = 0;
  size_t payload_left_ = 0;
  uint8_t priority_[5] = {};
  bool capture_ = false;     // the frame being read is a PRIORITY whose payload we keep
  bool ends_block_ = false;  // the frame being read carries END_HEADERS
  bool block_open_ = false;
  Event event_ = Event::None;
  Frame frame_;
};

}  // namespace gatehouse::http
