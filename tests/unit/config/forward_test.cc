// `forward:` the fields a client may pass that gatehouse strips by default, the Upgrade protocols
// relayed, golden errors, and docs/INTERFACE.md listing every stripped field (one list).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/forward_fields.h"
#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;  // the appended text starts on line 9

TEST(Forward, DefaultsStripEverythingAndRelayOnlyWebSocket) {
  auto c = load(testing::kMinimalConfig);
  EXPECT_TRUE(c->forward.allow_headers.empty());
  EXPECT_EQ(c->forward.upgrade_tokens, std::vector<std::string>{"websocket"});
}

TEST(Forward, ReadsAllowedFieldsInTheirCanonicalSpellingAndTokensLowercase) {
  auto c =
      load(minimalPlus("forward: { allow_headers: [x-original-url, X-REAL-IP], "
                       "upgrade_tokens: [Foo, websocket] }\n"));
  EXPECT_EQ(c->forward.allow_headers, (std::vector<std::string>{"X-Original-URL", "X-Real-IP"}));
  EXPECT_EQ(c->forward.upgrade_tokens, (std::vector<std::string>{"websocket", "foo"}));
}

TEST(Forward, RefusesAFieldItDoesNotStripAndABadToken) {
  EXPECT_EQ(errorsOf(minimalPlus("forward: { allow_headers: [Cookie] }\n")),
            "gatehouse.yaml:9:28: forward.allow_headers[0]: \"Cookie\" is not a field gatehouse "
            "strips; these are: X-Original-URL, X-Rewrite-URL, X-HTTP-Method-Override, "
            "X-Forwarded-Port, X-Forwarded-Prefix, X-Real-IP, True-Client-IP, Proxy-Authorization");
  EXPECT_EQ(errorsOf(minimalPlus("forward: { upgrade_tokens: [\"a b\"] }\n")),
            "gatehouse.yaml:9:29: forward.upgrade_tokens[0]: \"a b\" is not a protocol token");
}

// The docs print the list: every field gatehouse strips is named in docs/INTERFACE.md.
TEST(Forward, InterfaceDocsListEveryStrippedField) {
  std::ifstream in(GATEHOUSE_SOURCE_DIR "/docs/INTERFACE.md");
  ASSERT_TRUE(in) << "docs/INTERFACE.md not found";
  std::stringstream text;
  text << in.rdbuf();
  for (const ClientControlledField& field : kClientControlledFields)
    EXPECT_NE(text.str().find(std::string(field.name)), std::string::npos) << field.name;
}

}  // namespace
}  // namespace gatehouse::config
