#include "proxy/http/http1_writer.h"

#include <fmt/format.h>

#include <charconv>

#include "proxy/http/chunked_decoder.h"
#include "proxy/http/status.h"

namespace gatehouse::http {
namespace {
void writeFields(fmt::memory_buffer& buf, const HeaderMap& headers, std::string_view extra) {
  for (const Header& h : headers) {
    buf.append(h.name);
    buf.append(std::string_view(": "));
    buf.append(h.value);
    buf.append(std::string_view("\r\n"));
  }
  buf.append(extra);
  buf.append(std::string_view("\r\n"));
}
}  // namespace

void writeResponseHead(evbuffer* out, const ResponseHead& head, std::string_view extra_fields) {
  fmt::memory_buffer buf;
  std::string_view reason = head.reason.empty() ? reasonPhrase(head.status) : head.reason;
  // By hand rather than fmt::format_to: this runs for every response (and every cache hit).
  char status[16];
  auto [end, ec] = std::to_chars(status, status + sizeof status, head.status);
  (void)ec;
  buf.append(std::string_view("HTTP/1.1 "));
  buf.append(std::string_view(status, static_cast<size_t>(end - status)));
  buf.append(std::string_view(" "));
  buf.append(reason);
  buf.append(std::string_view("\r\n"));
  writeFields(buf, head.headers, extra_fields);
  evbuffer_add(out, buf.data(), buf.size());
}

void writeRequestHead(evbuffer* out, const RequestHead& head, std::string_view extra_fields) {
  fmt::memory_buffer buf;
  buf.append(head.method);
  buf.append(std::string_view(" "));
  buf.append(head.target);
  buf.append(std::string_view(" HTTP/1.1\r\n"));
  writeFields(buf, head.headers, extra_fields);
  evbuffer_add(out, buf.data(), buf.size());
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
  fmt::memory_buffer buf;
  buf.append(std::string_view("0\r\n"));
  writeFields(buf, trailers, {});
  evbuffer_add(out, buf.data(), buf.size());
}

}  // namespace gatehouse::http
