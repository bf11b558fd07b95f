#pragma once
// One client connection speaking HTTP/2 (RFC 9113) through nghttp2: TLS with ALPN "h2", or
// plain TCP with prior knowledge (h2c). nghttp2 does the framing, HPACK and most validation;
// this class feeds it the transport's input, pulls its output into the transport, and maps
// streams onto Exchanges (one Http2Stream per stream, see http2_stream.h).
//
// Connection states:
//   Open --beginShutdown--> Draining (GOAWAY 2^31-1 + PING) --PING ACK or 1 s-->
//        final GOAWAY(last stream) --last stream closed--> Closing
//   Open --no stream for idle_timeout--> GOAWAY(NO_ERROR) --> Closing
//   Open --a header block unfinished for header_timeout--> GOAWAY(PROTOCOL_ERROR) --> Closing
//   any --flood/protocol error--> GOAWAY(error) --> Closing
//   Closing: no input processed; output flushed, FIN --> Lingering --EOF/2 s--> closed
//   any --transport EOF/error--> closed (every open stream's handler hears onDownstreamReset)
//   any --a handler waits for body and the client sends nothing for idle_timeout--> closed
//
// Backpressure: output is pulled from nghttp2 only while the transport holds less than
// kOutputHighWatermark, and reading stops above it, so a client that does not read cannot make
// us buffer more (nor open streams). Request bodies are flow controlled by the handler: the
// stream window is opened (nghttp2_session_consume) only for bytes the handler took, so a stream
// holds at most one stream window of request body. Responses: a stream whose body cannot move
// (the client's window stays shut) for send_timeout is reset and its handler let go; output the
// socket does not take for send_timeout closes the connection (TcpConnection's send timeout).

#include <nghttp2/nghttp2.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/base/duration.h"
#include "proxy/http/body_rate.h"
#include "proxy/http/exchange.h"
#include "proxy/http/http2_flood_guard.h"
#include "proxy/http/http2_frame_tracker.h"
#include "proxy/http/http2_session_memory.h"
#include "proxy/http/http2_stream_ledger.h"
#include "proxy/http/http2_stream_table.h"
#include "proxy/http/request_id.h"
#include "proxy/http/server_connection.h"
#include "proxy/net/event_loop.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/tcp_connection.h"
#include "proxy/net/timer.h"

namespace gatehouse::http {

class Http2Stream;

struct Http2Settings {
  uint32_t max_concurrent_streams = 128;
  uint32_t max_header_list_size = 65536;  // bytes, as RFC 7541 §4.1 counts them
  // HPACK dynamic table (RFC 7541 §4.2): SETTINGS_HEADER_TABLE_SIZE toward the client, and the
  // most our encoder uses whatever the client allows.
  uint32_t header_table_size = 4096;
  uint32_t max_continuations = 8;  // CONTINUATION frames after one HEADERS
  // Per stream: the most a client may send before the handler takes it, so the most a paused
  // upload holds here (about HTTP/1's read buffer).
  uint32_t initial_window_size = 64 << 10;
  uint32_t connection_window_size = 16 << 20;  // bounds all request bodies buffered together
  // http2.response_buffer: response bytes all streams together may hold waiting for the client.
  // Each handler stops at Exchange::kHighWatermark of its own; above this total they all wait,
  // so a client that opens many streams and reads none costs this much, not 128 high watermarks.
  size_t response_buffer = 4 << 20;
  uint64_t max_body = 100ull << 20;
  BodyRateLimit body_rate;  // timeouts.client_body, limits.min_body_rate: per stream
  Duration idle_timeout{60000};
  // timeouts.client_park: a connection without a stream this long gives back the pages of its
  // frame buffer (Http2SessionPages), as an idle HTTP/1 connection parks; 0: never.
  Duration park{0};
  // timeouts.client_header: until the first stream opens (a client that connects and says
  // nothing is not kept for a whole idle_timeout), and for every header block to complete.
  Duration header_timeout{10000};
  // timeouts.client_send: a stream whose response cannot move (the client's window stays shut)
  // is reset, and a connection whose output cannot move is closed, after this long.
  Duration send_timeout{30000};
  // Frame floods, rapid reset (CVE-2023-44487) and its server-side twin (MadeYouReset).
  Http2Budgets budgets;
};

class Http2ServerConnection final : public ServerConnection, private net::TcpConnection::Handler {
 public:
  using OnClosed = std::function<void(ServerConnection*)>;

  // Takes a connected transport (TLS already handshaken). on_closed is called once, when the
  // connection is done; the owner deletes it later (deferDelete), never from inside the call.
  Http2ServerConnection(net::EventLoop& loop, std::unique_ptr<net::TcpConnection> conn,
                        ClientInfo client, const Http2Settings& settings,
                        ExchangeDispatcher& dispatcher, RequestIdGenerator& ids,
                        OnClosed on_closed);
  ~Http2ServerConnection() override;
  Http2ServerConnection(const Http2ServerConnection&) = delete;
  Http2ServerConnection& operator=(const Http2ServerConnection&) = delete;

  // Sends our SETTINGS and connection WINDOW_UPDATE and starts reading.
  void start() override;
  // Graceful: GOAWAY, the streams already open complete, then the connection closes.
  void beginShutdown() override;
  void onReload() override { beginShutdown(); }
  size_t openStreams() const { return streams_.size(); }
  // Response body bytes the streams hold that are not yet in DATA frames (against
  // http2.response_buffer).
  size_t responseBuffered() const { return response_buffered_; }

  // Above this much queued output nothing more is pulled from nghttp2 and reading stops.
  static constexpr size_t kOutputHighWatermark = 1 << 20;
  // Room made in an empty output for the frames that follow: a TLS record's worth, in one
  // 16 KiB block (net::kChunkIn16KiB).
  static constexpr size_t kOutputChunk = net::kChunkIn16KiB;
  // Below this, output is pulled again, reading resumes and handlers hear they may send.
  static constexpr size_t kOutputLowWatermark = 256 * 1024;

 private:
  friend class Http2Stream;
  // Park: the first `park` of Idle, after which the frame buffer's pages go back.
  enum class TimerMode { None, Park, Idle, ShutdownNotice, Linger };
  // The opaque data of the PING that times the two-step GOAWAY of a graceful stop.
  static constexpr std::array<uint8_t, 8> kShutdownPing = {'g', 'h', '-', 'd', 'r', 'a', 'i', 'n'};
  struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };

  // net::TcpConnection::Handler
  void onReadable() override;
  void onDrained() override;
  void onClose(net::TcpConnection::CloseReason reason) override;

  // nghttp2 callbacks (http2_session_callbacks.cc): they find the connection in user_data.
  static nghttp2_session_callbacks* makeCallbacks();
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame*, void* self);
  static int onHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t flags, void* self);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame*, void* self);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* self);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self);
  static int onFrameSend(nghttp2_session*, const nghttp2_frame*, void* self);
  static int onFrameNotSend(nghttp2_session*, const nghttp2_frame*, int error, void* self);
  static int onSendData(nghttp2_session*, nghttp2_frame*, const uint8_t* framehd, size_t length,
                        nghttp2_data_source* source, void* self);
  static int onError(nghttp2_session*, int code, const char* msg, size_t len, void* self);
  void onControlFrame(const nghttp2_frame& frame);
  // One frame of a kind with a budget (Http2FloodGuard); past it, calmDown().
  void countFrame(Http2Limit limit);
  // http2_stream_rules.cc: the RFC 9113 rules nghttp2 leaves to us, on each frame header (and
  // PRIORITY payload) before nghttp2 reads it.
  void inspectFrame();
  void inspectPriority(const Http2FrameTracker::Frame& frame);
  void streamError(int32_t stream_id, uint32_t error_code, const char* why);
  void connectionError(uint32_t error_code, const char* why);
  void closeStream(int32_t stream_id, uint32_t error_code);

  // For the streams.
  nghttp2_session* session() const { return session_.get(); }
  Http2Stream* stream(int32_t id) const;
  void forgetLastStream() {
    last_stream_id_ = 0;
    last_stream_ = nullptr;
  }
  bool active() const { return !closed_ && !session_failed_ && session_ != nullptr; }
  void scheduleWork();
  // RST_STREAM(NO_ERROR) to stop a client's upload (RFC 9113 §8.1), sent only once the complete
  // response is on the wire: a client that reads the reset in the same TLS record as the end
  // of the response (curl 7.88) reports the whole exchange as failed.
  void stopAfterFlush(int32_t stream_id);
  void scheduleDelivery(int32_t stream_id);
  // A stream's part of what the connection holds for the client (see
  // Http2Settings::response_buffer).
  size_t outputShare() const;
  void countClientCausedReset() { countFrame(Http2Limit::Resets); }
  // A stream's response body waits for the client (its window or the socket): the send
  // watchdog checks on it within send_timeout.
  void watchSend();

  static void onWork(evutil_socket_t, short, void* self);
  void receive();
  void sendPending();
  void afterSessionIo();
  void notifyDrained();
  void calmDown(Http2Limit limit);
  void terminate(uint32_t error_code);
  // nghttp2 returned a fatal error: it is never called again, and the GOAWAY it did not send
  // (a flood it caught itself) is written by hand.
  void failSession(int lib_error);
  void resetAllStreams();
  void sendFinalGoaway();
  void closeAfterFlush();
  void closeNow();
  // http2_server_timeouts.cc
  void onTimer();
  void armTimer(TimerMode mode, Duration after);
  void armIdleTimer();
  void park();
  void updateHeaderDeadline();  // after input: a header block is pending, or no longer
  void onHeaderTimeout();
  void onSendTimer();

  net::EventLoop& loop_;
  std::unique_ptr<net::TcpConnection> conn_;
  ClientInfo client_;
  const Http2Settings settings_;  // a copy: a config reload must not change it under us
  ExchangeDispatcher& dispatcher_;
  RequestIdGenerator& ids_;
  OnClosed on_closed_;
  Http2SessionPages pages_;  // the session's allocator: declared first, so it outlives it
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  net::EventPtr work_event_;
  net::Timer timer_;
  TimerMode timer_mode_ = TimerMode::None;
  net::Timer header_timer_;  // armed while a header block is unfinished (header_timeout)
  net::Timer send_timer_;    // armed while a stream's response body waits (send_timeout)
  bool header_timer_on_ = false;
  bool send_timer_on_ = false;
  Http2FrameTracker frames_;  // what the client sent, frame by frame, beside nghttp2
  Http2StreamLedger ledger_;  // how recent streams ended (for frames on closed streams)
  Http2StreamTable streams_;
  // The last stream found by stream(id) (forgotten when a stream leaves streams_).
  mutable int32_t last_stream_id_ = 0;
  mutable Http2Stream* last_stream_ = nullptr;
  std::vector<int32_t> deliveries_;  // streams whose handler resumed reading the body
  // Streams answered before the client finished sending: each gets RST_STREAM(NO_ERROR) once
  // the answer has left in writes of its own (see stopAfterFlush()).
  std::vector<int32_t> stop_after_flush_;
  // The last :authority (or Host) found valid (isAuthority): most clients send one on every
  // stream. Empty: none yet, and an empty authority is never valid.
  std::string valid_authority_;
  size_t response_buffered_ = 0;  // in the streams' response buffers, not yet in DATA
  // Whether outputShare() last found settings_.response_buffer full (counted once per filling).
  mutable bool response_buffer_full_ = false;
  Http2FloodGuard floods_;
  bool in_session_ = false;       // inside nghttp2_session_mem_recv/mem_send: no re-entry
  bool session_failed_ = false;   // nghttp2 returned a fatal error: never call it again
  bool terminating_ = false;      // a final GOAWAY (error or idle) is queued: input ignored
  bool reading_paused_ = false;   // output above kOutputHighWatermark
  bool read_timeout_on_ = false;  // a handler waits for request body the client owes
  bool shutting_down_ = false;
  bool final_goaway_sent_ = false;
  bool closing_ = false;
  bool lingering_ = false;
  bool closed_ = false;
};

}  // namespace gatehouse::http
