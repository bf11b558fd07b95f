#include "config/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace gatehouse::config {
namespace {

// The address's bytes and family, or false.
bool parseAddress(std::string_view text, std::array<uint8_t, 16>& out, bool& v6) {
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    v6 = true;
    // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.data(), kMapped, 12) == 0) {
      std::memmove(out.data(), out.data() + 12, 4);
      v6 = false;
    }
    return true;
  }
  return false;
}

}  // namespace

std::optional<CidrBlock> CidrBlock::parse(std::string_view text, std::string& why) {
  CidrBlock block;
  block.text = std::string(text);
  const size_t slash = text.find('/');
  if (!parseAddress(text.substr(0, slash), block.bytes, block.v6)) {
    why = "expected an IPv4 or IPv6 address, optionally /PREFIX";
    return std::nullopt;
  }
  const unsigned max = block.v6 ? 128 : 32;
  block.prefix = static_cast<uint8_t>(max);
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || n > max) {
      why = "the prefix after / must be 0.." + std::to_string(max);
      return std::nullopt;
    }
    block.prefix = static_cast<uint8_t>(n);
  }
  return block;
}

bool CidrBlock::contains(std::string_view ip) const {
  std::array<uint8_t, 16> addr{};
  bool addr_v6 = false;
  if (!parseAddress(ip, addr, addr_v6) || addr_v6 != v6) return false;
  const unsigned whole = prefix / 8, rest = prefix % 8;
  if (std::memcmp(addr.data(), bytes.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[whole] & mask) == (bytes[whole] & mask);
}

}  // namespace gatehouse::config
