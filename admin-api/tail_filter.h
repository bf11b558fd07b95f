#pragma once
// Which access entries `GET /tail` streams: the query's filters, all of which must hold.
//   status=500 | status>=500 | status<400 | ... (also `filter=status>=500`, as `ctl tail --filter`)
//   path=/api/         the target starts with it
//   server=app/app1    the backend server that answered
//   cache=miss         the Cache-Status contains it (hit, miss, stale, bypass, stored...)
//   host=example.com   the Host, exactly

#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/result.h"
#include "proxy/server/traffic_tap.h"

namespace gatehouse::admin {

struct TailFilter {
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge };
  struct StatusTest {
    Op op = Op::Eq;
    int value = 0;
  };
  std::optional<StatusTest> status;
  std::string path;
  std::string server;
  std::string cache;
  std::string host;

  // From the request's query (percent-encoded, '&'-separated); errors name the bad part.
  static Result<TailFilter> parse(std::string_view query);
  bool matches(const server::TapEntry& e) const;
};

// "a%2Fb+c" -> "a/b c"; nullopt for a broken escape.
std::optional<std::string> percentDecode(std::string_view text);

}  // namespace gatehouse::admin
