#pragma once
// One line per completed exchange, in combined (Apache/nginx) or JSON form. Each worker owns
// one AccessLog and buffers its lines; the buffer goes out in one write(2) when it fills or
// at the flush timer, so no lock is shared between workers and lines never interleave.
//
// combined: 127.0.0.1 - - [25/Nov/2026:04:50:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/7.88.1"
//           rt=0.002 server=app/app1 cache=- id=5f3c9a1e00000001
// json:     {"time":"2026-11-25T04:50:00Z","client":"127.0.0.1","method":"GET",...}

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/http/exchange.h"
#include "proxy/net/timer.h"

namespace gatehouse::server {

class AccessLog {
 public:
  // fd < 0 turns logging off. The fd is shared by all workers and not owned.
  AccessLog(event_base* base, int fd, config::AccessLogFormat format);
  ~AccessLog();

  void record(const http::Exchange& exchange);
  void flush();

  // Formats one line (with the trailing newline); public for tests.
  static std::string format(const http::Exchange& exchange, config::AccessLogFormat format,
                            std::chrono::system_clock::time_point now);

 private:
  // The combined format's timestamp, formatted once per second rather than once per line.
  class CombinedStamp {
   public:
    std::string_view at(std::time_t second);

   private:
    std::time_t second_ = -1;
    char text_[40] = {};
    size_t length_ = 0;
  };
  static void appendCombined(std::string& out, const http::Exchange& exchange,
                             std::string_view stamp);

  int fd_;
  config::AccessLogFormat format_;
  CombinedStamp stamp_;
  std::string buffer_;
  net::Timer flush_timer_;
};

// Opens the access log named in config: "stdout", "stderr", "off" or a path (appended to).
// Returns the fd, -1 for off, or an error.
Result<int> openAccessLog(const std::string& target);

}  // namespace gatehouse::server
