// Http2ResponseFields: the header block handed to nghttp2 for a response head or its trailers.
#include "proxy/http/http2_response_fields.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "proxy/http/field_lines.h"

namespace gatehouse::http {
namespace {

std::string_view nameOf(const nghttp2_nv& nv) {
  return {reinterpret_cast<const char*>(nv.name), nv.namelen};
}
std::string_view valueOf(const nghttp2_nv& nv) {
  return {reinterpret_cast<const char*>(nv.value), nv.valuelen};
}

// Each name: whether it goes to the client over HTTP/2.
TEST(Http2ResponseFields, DropsConnectionSpecificFieldsAndKeepsTheRest) {
  struct Row {
    const char* rfc;
    std::string_view name;
    bool dropped;
  };
  const Row rows[] = {
      {"RFC 9113 §8.2.2", "Connection", true},
      {"RFC 9113 §8.2.2", "keep-alive", true},
      {"RFC 9113 §8.2.2", "Proxy-Connection", true},
      {"RFC 9113 §8.2.2", "Transfer-Encoding", true},
      {"RFC 9113 §8.2.2", "Upgrade", true},
      {"RFC 9113 §8.2.2 (TE)", "TE", true},
      {"the codec writes it (RFC 9113 §8.1.1)", "Content-Length", true},
      {"pseudo-fields are the codec's (RFC 9113 §8.3)", ":status", true},
      {"RFC 9110 §6.3", "Content-Type", false},
      {"RFC 9111 §5.2", "Cache-Control", false},
      {"RFC 9110 §8.8.3", "ETag", false},
      {"RFC 9110 §6.6.2", "Trailer", false},
      {"an unknown field", "X-Custom-Field", false},
      {"same length as a dropped one", "Content-Lengths", false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.rfc) + ": " + std::string(r.name));
    EXPECT_EQ(Http2ResponseFields::dropped(r.name), r.dropped);
    ResponseHead head;
    std::string lines;
    appendFieldLine(lines, r.name, "v");
    head.preformatted = lines;
    Http2ResponseFields fields(200, head, std::nullopt);
    EXPECT_EQ(fields.size(), r.dropped ? 1u : 2u);  // :status, and the field if kept
  }
}

TEST(Http2ResponseFields, StatusFieldsInOrderAndTheLengthLast) {
  ResponseHead head;
  std::string lines;
  appendFieldLine(lines, "Server", "nginx");
  appendFieldLine(lines, "X-Request-Id", "abc");
  appendFieldLine(lines, "X-Empty", "");
  head.preformatted = lines;
  head.headers.add("Via", "1.1 gatehouse");
  head.headers.add("Transfer-Encoding", "chunked");
  Http2ResponseFields fields(304, head, uint64_t{1024});
  ASSERT_EQ(fields.size(), 6u);
  const nghttp2_nv* nv = fields.data();
  EXPECT_EQ(nameOf(nv[0]), ":status");
  EXPECT_EQ(valueOf(nv[0]), "304");
  // Known names go lowercase and uncopied; others as given, for nghttp2 to copy and lowercase.
  EXPECT_EQ(nameOf(nv[1]), "server");
  EXPECT_TRUE(nv[1].flags & NGHTTP2_NV_FLAG_NO_COPY_NAME);
  EXPECT_EQ(valueOf(nv[1]), "nginx");
  EXPECT_EQ(nameOf(nv[2]), "x-request-id");
  EXPECT_TRUE(nv[2].flags & NGHTTP2_NV_FLAG_NO_INDEX) << "a new value in every response";
  EXPECT_EQ(nameOf(nv[3]), "X-Empty");
  EXPECT_FALSE(nv[3].flags & NGHTTP2_NV_FLAG_NO_COPY_NAME);
  EXPECT_EQ(valueOf(nv[3]), "");
  EXPECT_EQ(nameOf(nv[4]), "via");
  EXPECT_EQ(valueOf(nv[4]), "1.1 gatehouse");
  EXPECT_EQ(nameOf(nv[5]), "content-length");
  EXPECT_EQ(valueOf(nv[5]), "1024");
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!(nv[i].flags & NGHTTP2_NV_FLAG_NO_COPY_NAME)) continue;
    for (char c : nameOf(nv[i]))
      EXPECT_FALSE(c >= 'A' && c <= 'Z') << nameOf(nv[i]) << ": nghttp2 will not lowercase it";
  }
}

TEST(Http2ResponseFields, ManyFieldsAllGoOut) {
  ResponseHead head;
  std::string lines;
  for (int i = 0; i < 100; ++i)
    appendFieldLine(lines, "X-F" + std::to_string(i), std::to_string(i));
  head.preformatted = lines;
  Http2ResponseFields fields(200, head, std::nullopt);
  ASSERT_EQ(fields.size(), 101u);
  EXPECT_EQ(nameOf(fields.data()[0]), ":status");
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(valueOf(fields.data()[i + 1]), std::to_string(i));
}

TEST(Http2ResponseFields, TrailersWithoutStatusOrConnectionFields) {
  HeaderMap trailers;
  trailers.add("Grpc-Status", "0");
  trailers.add("Connection", "close");
  trailers.add("ETag", "\"x\"");
  Http2ResponseFields fields(trailers);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(nameOf(fields.data()[0]), "Grpc-Status");
  EXPECT_EQ(nameOf(fields.data()[1]), "etag");
}

}  // namespace
}  // namespace gatehouse::http
