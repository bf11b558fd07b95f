#pragma once
// A non-blocking TCP socket with an input and an output evbuffer: the transport under both
// the client codec and backend connections. Why not libevent's bufferevent: a bufferevent
// waits for EPOLLOUT before every write and asks FIONREAD before every read, which costs four
// extra syscalls per proxied request (two epoll_ctl per socket, two ioctl). Here output is
// written at the end of the current loop iteration, directly, and the write event is armed only
// when the kernel buffer is full; reads go straight into reserved evbuffer space.
//
// Files: a plain connection's output may hold evbuffer file segments (added through a buffer
// flagged EVBUFFER_FLAG_DRAINS_TO_FD); evbuffer_write() sends them with sendfile(2). TLS output
// must not, unless the kernel does the TLS (kernelTlsSend()): SSL_write needs the bytes in
// memory. Writes above 64 KiB are corked (tcp_nopush).
//
// Kernel TLS: where OpenSSL (SSL_OP_ENABLE_KTLS) handed the session's send keys to the kernel's
// `tls` module after the handshake, the socket encrypts what is written to it, so the output
// goes out as a plain connection's does: writev for memory, sendfile(2) for file segments (what
// SSL_sendfile does on Linux, and what OpenSSL itself does with application data under kTLS).
// OpenSSL still reads, and sends its own records (alerts, close_notify) through the kernel.
//
// Flow control: reading stops while the owner has paused it or while the input holds
// `read_limit` bytes; onDrained() fires whenever a write leaves at most `low_watermark` bytes
// queued. Timeouts count inactivity: the read timeout while reading is wanted, the write
// timeout while output is queued (or while connecting). A send timeout, where set, bounds how
// long queued output may make no progress whatever the owner's write timeout says.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "proxy/base/duration.h"
#include "proxy/net/idle_socket.h"
#include "proxy/net/inactivity_timer.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/net/socket_address.h"

namespace gatehouse::net {

// The most bytes one 16 KiB block of an evbuffer holds: 16 KiB less libevent's chain header (48
// bytes on 64-bit; 64 left for it). libevent rounds a new chain's allocation, header included, up
// to a power of two, so asking for a round 16 KiB takes a 32 KiB block: twice the memory, and
// jemalloc's slower large path (~500 instructions of a proxied request, when reads asked for it).
// A read's chunk, the TLS gathering and HTTP/2's output room are all this size.
inline constexpr size_t kChunkIn16KiB = 16 * 1024 - 64;

class TcpConnection {
 public:
  enum class CloseReason { Eof, Error, ReadTimeout, WriteTimeout, ConnectFailed, ConnectTimeout };

  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void onReadable() = 0;  // new bytes are in input()
    virtual void onDrained() = 0;   // output fell to the low watermark or below
    virtual void onConnected() {}
    // The socket is finished for reading (Eof) or altogether. Queued input stays readable.
    virtual void onClose(CloseReason reason) = 0;
  };

  // Takes an idle socket back (its TLS session established): a parked connection woken. Its
  // owner calls setHandler() before anything reads or writes it.
  static std::unique_ptr<TcpConnection> adopt(event_base* base, IdleSocket socket);
  // Takes an accepted, connected fd (closed with the connection).
  static std::unique_ptr<TcpConnection> adopt(event_base* base, evutil_socket_t fd,
                                              Handler& handler);
  // The same for a connection handed on at once: its owner calls setHandler() before anything
  // reads or writes it.
  static std::unique_ptr<TcpConnection> adopt(event_base* base, evutil_socket_t fd);
  // Starts a non-blocking connect; the handler hears onConnected() or
  // onClose(ConnectFailed / ConnectTimeout), always from the loop, never from inside connect().
  static std::unique_ptr<TcpConnection> connect(event_base* base, const SocketAddress& address,
                                                Duration connect_timeout, Handler& handler);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void setHandler(Handler& handler) { handler_ = &handler; }
  evbuffer* input() const { return input_.get(); }
  evbuffer* output() const { return output_.get(); }
  size_t pendingOutput() const { return evbuffer_get_length(output_.get()); }
  evutil_socket_t fd() const { return fd_; }

  // Sends these bytes at once when nothing is queued ahead of them on a plain connection, and
  // queues whatever the socket did not take (everything, under TLS or behind queued output).
  // For a whole small response: no buffer chunk to allocate and no loop pass to wait for.
  void writeNow(std::string_view first, std::string_view second = {});

  void setReading(bool on);
  void setReadLimit(size_t bytes);
  void setLowWatermark(size_t bytes) { low_watermark_ = bytes; }
  // Zero turns a timeout off.
  void setTimeouts(Duration read, Duration write);
  // Queued output that makes no progress for this long fails the connection (WriteTimeout),
  // in place of setTimeouts()' write timeout, which it overrides from now on (a tunnel or a
  // lingering close included): how long a client that does not read may hold what we owe it
  // (timeouts.client_send). Progress restarts the clock; nothing else does. Zero: off.
  void setSendTimeout(Duration timeout);
  // Connections failed by their send timeout, process-wide (gatehouse_client_send_timeouts_total).
  static std::atomic<uint64_t> send_timeouts_total;
  // Sends FIN (after a TLS close_notify) once the queued output is out (lingering close).
  void shutdownWrite();

  // Server side TLS over the accepted socket: input() and output() carry plaintext from now
  // on. The handler hears onConnected() when the handshake is done, onClose(Error) if it fails.
  void startTls(SSL* ssl);
  bool tls() const { return ssl_ != nullptr; }
  // The ALPN protocol agreed ("h2", "http/1.1"), or empty.
  std::string_view alpn() const;
  bool tlsResumed() const { return ssl_ && SSL_session_reused(ssl_.get()); }
  // Whether the kernel encrypts what this TLS connection sends (kTLS): its output may then hold
  // file segments, sent with sendfile(2). False on a kernel without the `tls` module.
  bool kernelTlsSend() const { return kernel_tls_send_; }
  // Stops every event and callback; the fd closes with the object.
  void close();
  // Whether nothing is in flight either way (no byte queued, none read and unconsumed, none
  // held decrypted by TLS, no handshake, FIN or connect under way): then detach() may take the
  // socket out.
  bool quiescent() const;
  // Closes this connection's events and hands its socket (and TLS session) over, open. Only
  // when quiescent().
  IdleSocket detach();

 private:
  TcpConnection(event_base* base, evutil_socket_t fd, Handler& handler);
  static void onReadEvent(evutil_socket_t, short, void* self);
  static void onWriteEvent(evutil_socket_t, short, void* self);
  static void onFlushEvent(evutil_socket_t, short, void* self);
  static void onOutputChanged(evbuffer*, const evbuffer_cb_info* info, void* self);
  static void onInputChanged(evbuffer*, const evbuffer_cb_info* info, void* self);
  void readSome();
  void writeSome();
  bool readPlain(evbuffer_iovec* vec, int n_vec, size_t* got);  // false: handled a close
  bool readTls(evbuffer_iovec* vec, size_t* got);
  bool writePlain();
  bool writePlainRound();
  void setCork(bool on);
  bool writeTls();
  void continueHandshake();
  void noteKernelTls();
  void afterWrite();
  void sendFin();
  void finishConnect();
  void updateReadInterest();
  void fail(CloseReason reason);
  void onWriteTimer();
  Duration writeTimeout() const {
    return send_timeout_.count() > 0 ? send_timeout_ : write_timeout_;
  }

  evutil_socket_t fd_;
  Handler* handler_;
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  std::unique_ptr<SSL, SslFree> ssl_;
  bool handshaking_ = false;
  bool write_wants_read_ = false;  // TLS: the last SSL_write needs the socket readable
  bool kernel_tls_send_ = false;   // kTLS: the kernel encrypts; writes go as plain ones
  // kTLS: OpenSSL has a record of its own half sent (a read needed a write): it goes first.
  bool tls_owes_write_ = false;
  EvbufferPtr input_;
  EvbufferPtr output_;
  EventPtr read_event_;
  EventPtr write_event_;
  EventPtr flush_event_;
  InactivityTimer read_timer_;
  InactivityTimer write_timer_;
  Duration read_timeout_{0};
  Duration write_timeout_{0};
  Duration send_timeout_{0};
  size_t read_limit_ = 0;  // 0: unlimited
  size_t low_watermark_ = 0;
  bool connecting_ = false;
  bool connect_refused_now_ = false;  // connect() failed at once; reported by the timer
  bool want_read_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool flush_scheduled_ = false;
  bool shutdown_pending_ = false;
  bool eof_ = false;
  bool fin_sent_ = false;
  bool closed_ = false;
};

}  // namespace gatehouse::net
