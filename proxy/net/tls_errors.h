#pragma once
// SSL_get_error is only right when the thread's error queue was empty before the SSL call.
// It nearly always is (every failure clears it), and ERR_clear_error resets all 16 slots of the
// queue every time: about 4 times the cost of looking (callgrind, OpenSSL 3.0), on every TLS
// read and write.

#include <openssl/err.h>

namespace gatehouse::net {

inline void clearTlsErrors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace gatehouse::net
