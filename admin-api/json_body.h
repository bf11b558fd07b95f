#pragma once
// Request bodies of the admin API: a JSON object with known fields, or nothing. Parsed with
// nlohmann::json; no exception leaves this file. The rules, the same for every endpoint:
//   - at most kMaxBodyBytes (the caller answers 413 beyond, without parsing);
//   - an empty body is the empty object;
//   - not JSON -> 400 with the parser's message; not an object -> 400;
//   - a field the endpoint does not know -> 400 naming it (a typo must not be ignored: a
//     `{"enabeld": true}` that did nothing would be worse than an error);
//   - a known field of the wrong type, or a required one missing -> 400 naming it.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "proxy/base/result.h"

namespace gatehouse::admin {

inline constexpr size_t kMaxBodyBytes = 64 * 1024;

enum class JsonType { Boolean, String, Number, Object, Array };

struct FieldSpec {
  std::string_view name;
  JsonType type;
  bool required = false;
};

// The body as a JSON object holding only fields of `fields`, each of its type. The error is
// the message for the 400 answer.
Result<nlohmann::json> parseJsonObject(std::string_view body, std::span<const FieldSpec> fields);

}  // namespace gatehouse::admin
