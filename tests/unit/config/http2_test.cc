// The `http2:` section: defaults, every key read, and golden errors at the edges.
#include <gtest/gtest.h>

#include <tuple>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

// Every key of the section, in INTERFACE.md's order, as one comparable value.
auto keysOf(const Http2Config& h2) {
  return std::make_tuple(h2.max_concurrent_streams, h2.max_header_list.bytes(),
                         h2.header_table_size.bytes(), h2.max_continuations,
                         h2.stream_window.bytes(), h2.connection_window.bytes(),
                         h2.response_buffer.bytes(), h2.max_resets, h2.max_settings, h2.max_pings,
                         h2.max_empty_frames, h2.max_window_updates);
}

TEST(Http2Config, DefaultsBoundWhatOneClientMayCost) {
  // stream_window: about HTTP/1's read buffer, what one paused upload may hold (issue 14).
  EXPECT_EQ(keysOf(load(minimalPlus(""))->http2),
            std::make_tuple(128u, uint64_t{64 << 10}, uint64_t{4 << 10}, 8u, uint64_t{64 << 10},
                            uint64_t{16 << 20}, uint64_t{4 << 20}, 200u, 100u, 100u, 100u, 1000u));
}

TEST(Http2Config, ReadsEveryKey) {
  EXPECT_EQ(keysOf(load(minimalPlus(R"(http2:
  max_concurrent_streams: 10
  max_header_list: 16KiB
  header_table_size: 0
  max_continuations: 2
  stream_window: 1MiB
  connection_window: 2MiB
  response_buffer: 512KiB
  max_resets: 5
  max_settings: 6
  max_pings: 7
  max_empty_frames: 8
  max_window_updates: 9
)"))
                       ->http2),
            std::make_tuple(10u, uint64_t{16 << 10}, uint64_t{0}, 2u, uint64_t{1 << 20},
                            uint64_t{2 << 20}, uint64_t{512 << 10}, 5u, 6u, 7u, 8u, 9u));
}

TEST(Http2Config, RefusesValuesOutsideTheirRange) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(http2:
  header_table_size: 65KiB
  max_continuations: 1001
  stream_window: 1000
  connection_window: 3GiB
  response_buffer: 100KiB
  max_settings: 0
  max_pings: -1
  max_empty_frames: many
  max_window_updates: 1000001
  max_ping: 5
)")),
            "gatehouse.yaml:10:22: http2.header_table_size: must be at most 64KiB\n"
            "gatehouse.yaml:11:22: http2.max_continuations: expected a whole number from 0 to "
            "1000, got \"1001\"\n"
            "gatehouse.yaml:12:18: http2.stream_window: must be between 64KiB and 2GiB\n"
            "gatehouse.yaml:13:22: http2.connection_window: must be between 64KiB and 2GiB\n"
            "gatehouse.yaml:14:20: http2.response_buffer: must be between 256KiB and 1GiB\n"
            "gatehouse.yaml:15:17: http2.max_settings: expected a whole number from 1 to "
            "1000000, got \"0\"\n"
            "gatehouse.yaml:16:14: http2.max_pings: expected a whole number from 1 to 1000000, "
            "got \"-1\"\n"
            "gatehouse.yaml:17:21: http2.max_empty_frames: expected a whole number from 1 to "
            "1000000, got \"many\"\n"
            "gatehouse.yaml:18:23: http2.max_window_updates: expected a whole number from 1 to "
            "1000000, got \"1000001\"\n"
            "gatehouse.yaml:19:3: http2.max_ping: unknown key (did you mean \"max_pings\"?)");
}

}  // namespace
}  // namespace gatehouse::config
