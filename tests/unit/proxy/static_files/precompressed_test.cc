// Accept-Encoding -> the precompressed sibling to send.
#include "proxy/static_files/precompressed.h"

#include <gtest/gtest.h>

namespace gatehouse::static_files {
namespace {

Encoding choose(const char* accept, bool br = true, bool gz = true) {
  http::HeaderMap h;
  if (accept) h.add("Accept-Encoding", accept);
  return chooseEncoding(h, br, gz);
}

TEST(Precompressed, PrefersBrotliThenGzip) {
  EXPECT_EQ(choose("gzip, deflate, br"), Encoding::Brotli);
  EXPECT_EQ(choose("gzip"), Encoding::Gzip);
  EXPECT_EQ(choose("br", false, true), Encoding::Identity);
  EXPECT_EQ(choose("gzip, br", false, true), Encoding::Gzip);
  EXPECT_EQ(choose(nullptr), Encoding::Identity);
  EXPECT_EQ(choose("identity"), Encoding::Identity);
}

TEST(Precompressed, HonoursQZeroAndStar) {
  EXPECT_EQ(choose("br;q=0, gzip"), Encoding::Gzip);
  EXPECT_EQ(choose("br;q=0.0, gzip;q=0"), Encoding::Identity);
  EXPECT_EQ(choose("br;q=0.5"), Encoding::Brotli);
  EXPECT_EQ(choose("*"), Encoding::Brotli);
  EXPECT_EQ(choose("*, br;q=0"), Encoding::Gzip);
  EXPECT_EQ(choose("*;q=0"), Encoding::Identity);
  EXPECT_EQ(choose("BR"), Encoding::Brotli);
}

}  // namespace
}  // namespace gatehouse::static_files
