// The top-level `http2:` section: HTTP/2 limits toward clients.
#include "config/sections.h"

namespace gatehouse::config {
namespace {

// A flow-control window: RFC 9113 §6.9.1 caps it at 2^31-1, and below the protocol's 65535
// default a client could not even send one full frame's worth per round trip.
Field windowField(std::string_view key, ByteSize& out, Diagnostics& diag) {
  return {key, [&out, &diag](const Value& x) {
            auto b = readByteSize(x, diag);
            if (b && (b->bytes() < 65535 || b->bytes() > 0x7fffffff))
              diag.error(x.mark, x.path, "must be between 64KiB and 2GiB");
            else if (b)
              out = *b;
          }};
}

// A frame budget per 10 s; 0 would refuse the frames every client sends at least once.
Field budgetField(std::string_view key, uint32_t& out, Diagnostics& diag) {
  return {key, [&out, &diag](const Value& x) {
            if (auto n = readUint(x, 1, 1000000, diag)) out = *n;
          }};
}

}  // namespace

void readHttp2(const Value& v, Http2Config& h2, Diagnostics& diag) {
  readMap(v,
          {{"max_concurrent_streams",
            [&](const Value& x) {
              if (auto n = readUint(x, 1, 10000, diag)) h2.max_concurrent_streams = *n;
            }},
           {"max_header_list",
            [&](const Value& x) {
              if (auto b = readByteSize(x, diag)) h2.max_header_list = *b;
            }},
           {"header_table_size",
            [&](const Value& x) {
              // 0 is valid (no dynamic table); beyond 64 KiB a table only costs memory.
              auto b = readByteSize(x, diag);
              if (b && b->bytes() > 65536)
                diag.error(x.mark, x.path, "must be at most 64KiB");
              else if (b)
                h2.header_table_size = *b;
            }},
           {"max_continuations",
            [&](const Value& x) {
              if (auto n = readUint(x, 0, 1000, diag)) h2.max_continuations = *n;
            }},
           windowField("stream_window", h2.stream_window, diag),
           windowField("connection_window", h2.connection_window, diag),
           {"response_buffer",
            [&](const Value& x) {
              // Below one stream's high watermark (256 KiB) a single response would wait on it.
              auto b = readByteSize(x, diag);
              if (b && (b->bytes() < (256u << 10) || b->bytes() > (1ull << 30)))
                diag.error(x.mark, x.path, "must be between 256KiB and 1GiB");
              else if (b)
                h2.response_buffer = *b;
            }},
           {"max_resets",
            [&](const Value& x) {
              if (auto n = readUint(x, 1, 100000, diag)) h2.max_resets = *n;
            }},
           budgetField("max_settings", h2.max_settings, diag),
           budgetField("max_pings", h2.max_pings, diag),
           budgetField("max_empty_frames", h2.max_empty_frames, diag),
           budgetField("max_window_updates", h2.max_window_updates, diag)},
          {}, diag);
}

}  // namespace gatehouse::config
