// Fuzzes the admin API's body rules (admin-api/json_body.h): any bytes in, never a crash and
// never an exception (nlohmann throws; parseJsonObject must catch at its boundary), and what
// comes out keeps the promises endpoints rely on. The error answer is rendered too: its message
// quotes client bytes, and dumping them must not throw either.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "admin-api/endpoint.h"
#include "admin-api/json_body.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using gatehouse::admin::FieldSpec;
using gatehouse::admin::JsonType;
using gatehouse::fuzz::ExactCopy;

// The shapes of the endpoints' bodies: none (POST /reload) and those INTERFACE.md announces.
constexpr FieldSpec kReadOnly[] = {{"enabled", JsonType::Boolean, true},
                                   {"reason", JsonType::String}};
constexpr FieldSpec kBackend[] = {{"state", JsonType::String, true}};
constexpr FieldSpec kBan[] = {{"prefix", JsonType::String}, {"tag", JsonType::String}};
constexpr FieldSpec kAny[] = {
    {"a", JsonType::Array}, {"n", JsonType::Number}, {"o", JsonType::Object}};

void checkPromises(const nlohmann::json& body, std::span<const FieldSpec> fields) {
  FUZZ_CHECK(body.is_object());
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const FieldSpec& f : fields)
      known = known || f.name == key;
    FUZZ_CHECK(known);
  }
  for (const FieldSpec& f : fields)
    FUZZ_CHECK(!f.required || body.contains(f.name));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the endpoint; the rest is the body, as an exact-size heap copy so
  // that ASan sees any read past its end.
  const std::span<const FieldSpec> specs[] = {{}, kReadOnly, kBackend, kBan, kAny};
  std::span<const FieldSpec> fields = specs[data[0] % std::size(specs)];
  ExactCopy body(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  auto result = gatehouse::admin::parseJsonObject(body.view(), fields);
  if (result) {
    checkPromises(*result, fields);
  } else {
    FUZZ_CHECK(!result.error().message.empty());
    auto answer = gatehouse::admin::errorResponse(400, result.error().message);
    FUZZ_CHECK(answer.body.starts_with("{\"error\":\"") && answer.body.ends_with("}\n"));
  }
  return 0;
}
