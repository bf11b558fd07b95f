#include "proxy/static_files/content_types.h"

#include <gtest/gtest.h>

namespace gatehouse::static_files {
namespace {

TEST(ContentTypes, BuiltInTableByLastExtension) {
  ContentTypes types;
  EXPECT_EQ(types.lookup("css/app.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("APP.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("a/b.tar.gz"), "application/gzip");
  EXPECT_EQ(types.lookup("font.woff2"), "font/woff2");
  EXPECT_EQ(types.lookup("x.unknown"), ContentTypes::kDefault);
  EXPECT_EQ(types.lookup("LICENSE"), ContentTypes::kDefault);
  EXPECT_EQ(types.lookup("dir.d/file"), ContentTypes::kDefault);
  EXPECT_EQ(types.lookup(".bashrc"), ContentTypes::kDefault);
}

TEST(ContentTypes, OverridesReplaceAndExtend) {
  ContentTypes types({{"js", "application/javascript"}, {"weird", "application/x-weird"}});
  EXPECT_EQ(types.lookup("a.js"), "application/javascript");
  EXPECT_EQ(types.lookup("a.WEIRD"), "application/x-weird");
  EXPECT_EQ(types.lookup("a.css"), "text/css; charset=utf-8");
}

}  // namespace
}  // namespace gatehouse::static_files
