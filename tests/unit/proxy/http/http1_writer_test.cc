#include "proxy/http/http1_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/net/libevent_ptr.h"

namespace gatehouse::http {
namespace {

std::string drain(evbuffer* buf) {
  std::string out(evbuffer_get_length(buf), '\0');
  evbuffer_remove(buf, out.data(), out.size());
  return out;
}

TEST(Http1Writer, ResponseHeadPutsPreformattedFieldsBeforeTheMapAndTheFraming) {
  net::EvbufferPtr out = net::makeEvbuffer();
  ResponseHead head;
  head.status = 200;
  head.preformatted = "Content-Type: text/plain\r\nAge: 3\r\n";
  head.headers.add("X-A", "1");
  writeResponseHead(out.get(), head, "Content-Length: 2\r\n");
  EXPECT_EQ(drain(out.get()),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAge: 3\r\nX-A: 1\r\n"
            "Content-Length: 2\r\n\r\n");
}

TEST(Http1Writer, RequestHeadAndTrailers) {
  net::EvbufferPtr out = net::makeEvbuffer();
  RequestHead head;
  head.method = "POST";
  head.target = "/a?b=c";
  head.headers.add("Host", "example.com");
  writeRequestHead(out.get(), head, "Transfer-Encoding: chunked\r\n");
  EXPECT_EQ(drain(out.get()),
            "POST /a?b=c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n");
  HeaderMap trailers;
  trailers.add("Digest", "x");
  writeLastChunkWithTrailers(out.get(), trailers);
  EXPECT_EQ(drain(out.get()), "0\r\nDigest: x\r\n\r\n");
}

}  // namespace
}  // namespace gatehouse::http
