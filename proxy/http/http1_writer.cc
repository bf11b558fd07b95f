#include "proxy/http/http1_writer.h"

#include <array>
#include <charconv>
#include <cstring>
#include <initializer_list>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/status.h"

namespace gatehouse::http {
namespace {

// A head is sized first and then written straight into the output buffer's free space: one
// reservation, no intermediate copy, no per-piece bookkeeping. This runs for every request
// forwarded and every response sent, cache hits included.
class HeadWriter {
 public:
  void count(std::string_view s) { size_ += s.size(); }
  void countFields(const HeaderMap& fields) {
    for (const Header& h : fields)
      size_ += h.name.size() + h.value.size() + 4;  // ": " and CRLF
  }
  // Reserves the counted size in `out`; false if libevent cannot (out of memory).
  bool begin(evbuffer* out, size_t room_after = 0) {
    out_ = out;
    const auto want = static_cast<ev_ssize_t>(size_ + room_after);
    if (evbuffer_reserve_space(out, want, &vec_, 1) != 1) return false;
    at_ = static_cast<char*>(vec_.iov_base);
    return true;
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // an empty view may have no data pointer, which memcpy must not see
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  void putFields(const HeaderMap& fields) {
    for (const Header& h : fields) {
      put(h.name);
      put(": ");
      put(h.value);
      put("\r\n");
    }
  }
  size_t size() const { return size_; }
  void beginAt(char* at) { at_ = at; }
  void commit() {
    vec_.iov_len = static_cast<size_t>(at_ - static_cast<char*>(vec_.iov_base));
    evbuffer_commit_space(out_, &vec_, 1);
  }

 private:
  size_t size_ = 0;
  evbuffer* out_ = nullptr;
  evbuffer_iovec vec_{};
  char* at_ = nullptr;
};

}  // namespace

namespace {
struct StatusLine {
  explicit StatusLine(const ResponseHead& head) {
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, head.status);
    (void)ec;  // 16 bytes hold any int
    pieces = {"HTTP/1.1 ", std::string_view(digits, static_cast<size_t>(end - digits)), " ",
              head.reason.empty() ? reasonPhrase(head.status) : head.reason, "\r\n"};
  }
  char digits[16];
  std::array<std::string_view, 5> pieces;
};

void countResponseHead(HeadWriter& w, const StatusLine& line, const ResponseHead& head,
                       std::string_view extra_fields) {
  for (std::string_view s : line.pieces)
    w.count(s);
  w.count(head.preformatted);
  w.countFields(head.headers);
  w.count(extra_fields);
  w.count("\r\n");
}

void putResponseHead(HeadWriter& w, const StatusLine& line, const ResponseHead& head,
                     std::string_view extra_fields) {
  for (std::string_view s : line.pieces)
    w.put(s);
  w.put(head.preformatted);
  w.putFields(head.headers);
  w.put(extra_fields);
  w.put("\r\n");
}
}  // namespace

void writeResponseHead(evbuffer* out, const ResponseHead& head, std::string_view extra_fields,
                       size_t body_room) {
  const StatusLine line(head);
  HeadWriter w;
  countResponseHead(w, line, head, extra_fields);
  if (!w.begin(out, body_room)) return;
  putResponseHead(w, line, head, extra_fields);
  w.commit();
}

size_t responseHeadSize(const ResponseHead& head, std::string_view extra_fields) {
  const StatusLine line(head);
  HeadWriter w;
  countResponseHead(w, line, head, extra_fields);
  return w.size();
}

void writeResponseHeadTo(char* at, const ResponseHead& head, std::string_view extra_fields) {
  const StatusLine line(head);
  HeadWriter w;
  w.beginAt(at);
  putResponseHead(w, line, head, extra_fields);
}

void writeRequestHead(evbuffer* out, const RequestHead& head, std::string_view extra_fields) {
  const std::initializer_list<std::string_view> line = {head.method, " ", head.target,
                                                        " HTTP/1.1\r\n"};
  HeadWriter w;
  for (std::string_view s : line)
    w.count(s);
  w.countFields(head.headers);
  w.count(extra_fields);
  w.count("\r\n");
  if (!w.begin(out)) return;
  for (std::string_view s : line)
    w.put(s);
  w.putFields(head.headers);
  w.put(extra_fields);
  w.put("\r\n");
  w.commit();
}

void writeChunk(evbuffer* out, evbuffer* data) {
  size_t n = evbuffer_get_length(data);
  if (n == 0) return;
  char size_line[kMaxChunkHeader];
  evbuffer_add(out, size_line, formatChunkHeader(n, size_line));
  evbuffer_add_buffer(out, data);
  evbuffer_add(out, "\r\n", 2);
}

void writeLastChunk(evbuffer* out) {
  evbuffer_add(out, kLastChunk.data(), kLastChunk.size());
}

void writeLastChunkWithTrailers(evbuffer* out, const HeaderMap& trailers) {
  HeadWriter w;
  w.count("0\r\n");
  w.countFields(trailers);
  w.count("\r\n");
  if (!w.begin(out)) return;
  w.put("0\r\n");
  w.putFields(trailers);
  w.put("\r\n");
  w.commit();
}

}  // namespace gatehouse::http
