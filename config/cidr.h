#pragma once
// An address block ("10.0.0.0/8", "2001:db8::/32", or one address, "127.0.0.1") and whether a
// client address falls in it: who may send PURGE and BAN (cache.purge_from). An IPv4 client
// seen on an IPv6 socket (::ffff:10.1.2.3) matches the IPv4 blocks.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::config {

struct CidrBlock {
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
  uint8_t prefix = 0;               // bits that must match
  bool v6 = false;
  std::string text;  // as written

  // nullopt (and `why` set) when `text` is not an address or address/prefix.
  static std::optional<CidrBlock> parse(std::string_view text, std::string& why);
  // `ip` as the connection reports it ("10.1.2.3", "::1"); false when it is not an address.
  bool contains(std::string_view ip) const;
};

}  // namespace gatehouse::config
