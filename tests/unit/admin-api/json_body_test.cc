// The body rules every admin endpoint shares (json_body.h).
#include "admin-api/json_body.h"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::admin {
namespace {

constexpr FieldSpec kReadOnly[] = {
    {"enabled", JsonType::Boolean, /*required=*/true},
    {"reason", JsonType::String},
};

std::string errorOf(std::string_view body, std::span<const FieldSpec> fields = kReadOnly) {
  auto r = parseJsonObject(body, fields);
  return r ? std::string("OK") : r.error().message;
}

TEST(JsonBody, AcceptsKnownFieldsOfTheirType) {
  auto r = parseJsonObject(R"({"enabled": true, "reason": "db migration"})", kReadOnly);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["enabled"], true);
  EXPECT_EQ((*r)["reason"], "db migration");
  EXPECT_EQ(errorOf(R"({"enabled": false})"), "OK");
}

TEST(JsonBody, ReadsAnEmptyOrBlankBodyAsTheEmptyObject) {
  auto r = parseJsonObject("", {});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_object() && r->empty());
  EXPECT_EQ(errorOf(" \r\n\t", {}), "OK");
  EXPECT_EQ(errorOf("{}", {}), "OK");
}

TEST(JsonBody, RefusesUnknownFieldsByName) {
  EXPECT_EQ(errorOf(R"({"enabeld": true})"), "unknown field \"enabeld\"");
  EXPECT_EQ(errorOf(R"({"x": 1})", {}), "unknown field \"x\"");
  // A name that could mess up a terminal or a log line is shown defanged and cut short.
  EXPECT_EQ(errorOf("{\"a\\nb\\\"c\": 1}", {}), "unknown field \"a?b?c\"");
  std::string long_name(100, 'n');
  EXPECT_EQ(errorOf("{\"" + long_name + "\": 1}", {}),
            "unknown field \"" + std::string(60, 'n') + "...\"");
}

TEST(JsonBody, RefusesWrongTypesAndMissingRequiredFields) {
  EXPECT_EQ(errorOf(R"({"enabled": "yes"})"), "field \"enabled\" must be a boolean");
  EXPECT_EQ(errorOf(R"({"enabled": true, "reason": 5})"), "field \"reason\" must be a string");
  EXPECT_EQ(errorOf(R"({"reason": "x"})"), "field \"enabled\" is required");
  EXPECT_EQ(errorOf(""), "field \"enabled\" is required");
}

TEST(JsonBody, RefusesBodiesThatAreNotAnObject) {
  for (std::string_view body : {"[]", "true", "\"enabled\"", "42", "null"})
    EXPECT_EQ(errorOf(body, {}), "the body must be a JSON object") << body;
}

TEST(JsonBody, RefusesBadJsonWithTheParsersMessage) {
  std::string e = errorOf("{\"enabled\": tru}");
  EXPECT_TRUE(e.starts_with("the body is not valid JSON: ")) << e;
  EXPECT_NE(e.find("line 1, column"), std::string::npos) << e;
  for (std::string_view bad : {"{", "{\"a\":}", "{} {}", "{'a': 1}", "\xff", "{\"a\": \"\xc3\"}"})
    EXPECT_TRUE(errorOf(bad, {}).starts_with("the body is not valid JSON: ")) << bad;
}

TEST(JsonBody, RefusesTheSameFieldTwice) {
  EXPECT_EQ(errorOf(R"({"enabled": false, "enabled": true})"), "duplicate field \"enabled\"");
  // Only the top level is ours to check; nested objects are the endpoint's.
  FieldSpec any[] = {{"a", JsonType::Object}};
  EXPECT_EQ(errorOf(R"({"a": {"b": 1}})", any), "OK");
}

TEST(JsonBody, RefusesBodiesOverTheCap) {
  std::string big = "{\"reason\": \"" + std::string(kMaxBodyBytes, 'x') + "\"}";
  EXPECT_EQ(errorOf(big), "the body is larger than 65536 bytes");
}

TEST(JsonBody, SurvivesDeepNesting) {
  std::string deep = std::string(kMaxBodyBytes / 2, '[') + std::string(kMaxBodyBytes / 2, ']');
  EXPECT_EQ(errorOf(deep, {}), "the body must be a JSON object");
}

}  // namespace
}  // namespace gatehouse::admin
