#include "proxy/http/http1_writer.h"

#include <array>
#include <charconv>
#include <cstring>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/status.h"

namespace gatehouse::http {
namespace {

// A head is laid out twice by the same function: first to measure it, then to write it
// straight into the output buffer's free space (one reservation, no intermediate copy). This
// runs for every request forwarded and every response sent, cache hits included.
class HeadWriter {
 public:
  void add(std::string_view s) {
    if (!at_) {
      size_ += s.size();
      return;
    }
    if (s.empty()) return;  // an empty view may have no data pointer, which memcpy must not see
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  void addFields(const HeaderMap& fields) {
    for (const Header& h : fields) {
      add(h.name);
      add(": ");
      add(h.value);
      add("\r\n");
    }
  }
  size_t size() const { return size_; }
  // Switches from measuring to writing at `at`, which has size() bytes.
  void writeAt(char* at) { at_ = at; }
  // The same, into `out`'s free space; false if libevent cannot reserve it (out of memory).
  bool writeInto(evbuffer* out) {
    out_ = out;
    if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(size_), &vec_, 1) != 1) return false;
    at_ = static_cast<char*>(vec_.iov_base);
    return true;
  }
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

// Measures, then writes, a head laid out by `layout(HeadWriter&)`.
template <typename Layout>
void writeHead(evbuffer* out, Layout layout) {
  HeadWriter w;
  layout(w);
  if (!w.writeInto(out)) return;
  layout(w);
  w.commit();
}

void layoutResponseHead(HeadWriter& w, const ResponseHead& head, std::string_view extra_fields) {
  char digits[16];
  char* end = std::to_chars(digits, digits + sizeof digits, head.status).ptr;  // 16 hold any int
  w.add("HTTP/1.1 ");
  w.add(std::string_view(digits, static_cast<size_t>(end - digits)));
  w.add(" ");
  w.add(head.reason.empty() ? reasonPhrase(head.status) : head.reason);
  w.add("\r\n");
  w.add(head.preformatted);
  w.addFields(head.headers);
  w.add(extra_fields);
  w.add("\r\n");
}

}  // namespace

void writeResponseHead(evbuffer* out, const ResponseHead& head, std::string_view extra_fields) {
  writeHead(out, [&](HeadWriter& w) { layoutResponseHead(w, head, extra_fields); });
}

size_t responseHeadSize(const ResponseHead& head, std::string_view extra_fields) {
  HeadWriter w;
  layoutResponseHead(w, head, extra_fields);
  return w.size();
}

void writeResponseHeadTo(char* at, const ResponseHead& head, std::string_view extra_fields) {
  HeadWriter w;
  w.writeAt(at);
  layoutResponseHead(w, head, extra_fields);
}

void writeRequestHead(evbuffer* out, const RequestHead& head, std::string_view extra_fields) {
  writeHead(out, [&](HeadWriter& w) {
    w.add(head.method);
    w.add(" ");
    w.add(head.target);
    w.add(" HTTP/1.1\r\n");
    w.addFields(head.headers);
    w.add(head.forwarding);
    w.add(extra_fields);
    w.add("\r\n");
  });
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
  writeHead(out, [&](HeadWriter& w) {
    w.add("0\r\n");
    w.addFields(trailers);
    w.add("\r\n");
  });
}

}  // namespace gatehouse::http
