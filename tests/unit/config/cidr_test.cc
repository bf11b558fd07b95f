#include "config/cidr.h"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

TEST(CidrBlock, ContainsTheAddressesOfItsPrefix) {
  struct Row {
    const char* block;
    const char* ip;
    bool in;
  };
  const Row rows[] = {
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"192.168.1.0/25", "192.168.1.127", true},
      {"192.168.1.0/25", "192.168.1.128", false},
      {"127.0.0.1", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.2", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"2001:db8::/32", "2001:db8:1::5", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"::1", "::1", true},
      {"10.0.0.0/8", "::ffff:10.9.9.9", true},  // an IPv4 client on a dual-stack socket
      {"10.0.0.0/8", "::1", false},
      {"::/0", "10.0.0.1", false},  // families never mix
      {"10.0.0.0/8", "not-an-ip", false},
  };
  for (const Row& row : rows) {
    std::string why;
    auto block = CidrBlock::parse(row.block, why);
    ASSERT_TRUE(block) << row.block << ": " << why;
    EXPECT_EQ(block->contains(row.ip), row.in) << row.block << " " << row.ip;
  }
}

TEST(CidrBlock, RefusesWhatIsNotABlock) {
  for (const char* text :
       {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "host", "10.0.0/8"}) {
    std::string why;
    EXPECT_FALSE(CidrBlock::parse(text, why)) << text;
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
}  // namespace gatehouse::config
