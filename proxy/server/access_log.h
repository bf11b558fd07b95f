#pragma once
// One line per completed exchange, in combined (Apache/nginx) or JSON form. Each worker owns
// one AccessLog and buffers its lines; the buffer goes out in one write(2) when it fills or
// at the flush timer, so no lock is shared between workers and lines never interleave.
//
// combined: 127.0.0.1 - - [25/Nov/2026:04:50:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/7.88.1"
//           rt=0.002 server=app/app1 cache="gatehouse; hit" id=5f3c9a1e00000001
//           time=2026-11-25T04:50:00.123Z
// json:     {"time":"2026-11-25T04:50:00.123Z","client":"127.0.0.1","method":"GET",...}
// Workers flush their buffers independently, so lines of different workers may reach the file
// up to a flush interval out of order; `time` (milliseconds, sortable as text) restores it.

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/base/result.h"
#include "proxy/http/exchange.h"
#include "proxy/net/timer.h"
#include "proxy/server/exchange_end.h"

namespace gatehouse::server {

class AccessLog {
 public:
  // fd < 0 turns logging off. The fd is shared by all workers and not owned.
  AccessLog(event_base* base, int fd, config::AccessLogFormat format);
  ~AccessLog();

  // A reload's log.format and log.access (`off` disables), from the worker's thread.
  void configure(config::AccessLogFormat format, bool enabled);

  void record(const http::Exchange& exchange, const ExchangeEnd& end);
  void flush();

  // Formats one line (with the trailing newline); public for tests.
  static std::string format(const http::Exchange& exchange, config::AccessLogFormat format,
                            const ExchangeEnd& end);

 private:
  // The timestamps of a line, formatted once per second rather than once per line: the
  // combined format's `25/Nov/2026:04:50:00 +0000` and the ISO 8601 second
  // `2026-11-25T04:50:00` that gets the milliseconds appended.
  class Stamps {
   public:
    void at(std::time_t second);
    std::string_view combined() const { return {combined_, combined_length_}; }
    std::string_view iso() const { return {iso_, iso_length_}; }

   private:
    std::time_t second_ = -1;
    char combined_[40] = {};
    size_t combined_length_ = 0;
    char iso_[32] = {};
    size_t iso_length_ = 0;
  };
  static void appendCombined(std::string& out, const http::Exchange& exchange, const Stamps& stamps,
                             const ExchangeEnd& end);

  int fd_;
  bool enabled_ = true;
  config::AccessLogFormat format_;
  Stamps stamps_;
  std::string buffer_;
  net::Timer flush_timer_;
};

}  // namespace gatehouse::server
