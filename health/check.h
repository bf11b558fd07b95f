#pragma once
// One active check of one server, as ActiveChecker sees it: started, it reports its outcome
// once, later, on the checker's loop (never from inside the call that started it); destroyed
// before that, it is cancelled and never reports. HttpCheck (http_check.h) is the real one;
// tests answer checks by hand, so rise/fall runs without a socket.

#include <functional>
#include <memory>
#include <string>

namespace gatehouse::health {

class Server;

struct CheckOutcome {
  int status = 0;   // the status line's code; 0 when none came
  std::string why;  // with status 0: what went wrong ("connect failed", "timed out", ...)
};

class Check {
 public:
  virtual ~Check() = default;
};

using CheckDone = std::function<void(CheckOutcome)>;
// Starts a check of `server` (which outlives it) that reports to `done`.
using StartCheck = std::function<std::unique_ptr<Check>(const Server& server, CheckDone done)>;

}  // namespace gatehouse::health
