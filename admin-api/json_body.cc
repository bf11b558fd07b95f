#include "admin-api/json_body.h"

#include <fmt/format.h>

#include <exception>
#include <functional>
#include <set>
#include <string>

namespace gatehouse::admin {
namespace {

bool hasType(const nlohmann::json& value, JsonType type) {
  switch (type) {
    case JsonType::Boolean:
      return value.is_boolean();
    case JsonType::String:
      return value.is_string();
    case JsonType::Number:
      return value.is_number();
    case JsonType::Object:
      return value.is_object();
    case JsonType::Array:
      return value.is_array();
  }
  return false;
}

std::string_view typeName(JsonType type) {
  switch (type) {
    case JsonType::Boolean:
      return "a boolean";
    case JsonType::String:
      return "a string";
    case JsonType::Number:
      return "a number";
    case JsonType::Object:
      return "an object";
    case JsonType::Array:
      return "an array";
  }
  return "?";
}

// A client's field name as shown in an error: cut short and kept printable, so that the
// message cannot be used to flood a terminal or a log line.
std::string shown(std::string_view name) {
  constexpr size_t kMax = 60;
  std::string out;
  for (char c : name.substr(0, kMax))
    out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  if (name.size() > kMax) out += "...";
  return out;
}

Result<nlohmann::json> validate(nlohmann::json body, std::span<const FieldSpec> fields) {
  if (!body.is_object()) return Error{"the body must be a JSON object"};
  for (const auto& [key, value] : body.items()) {
    const FieldSpec* spec = nullptr;
    for (const FieldSpec& f : fields)
      if (f.name == key) spec = &f;
    if (!spec) return Error{fmt::format("unknown field \"{}\"", shown(key))};
    if (!hasType(value, spec->type))
      return Error{fmt::format("field \"{}\" must be {}", spec->name, typeName(spec->type))};
  }
  for (const FieldSpec& f : fields) {
    if (f.required && !body.contains(f.name))
      return Error{fmt::format("field \"{}\" is required", f.name)};
  }
  return body;
}

}  // namespace

Result<nlohmann::json> parseJsonObject(std::string_view body, std::span<const FieldSpec> fields) {
  if (body.size() > kMaxBodyBytes)
    return Error{fmt::format("the body is larger than {} bytes", kMaxBodyBytes)};
  // The boundary: nlohmann reports syntax errors (and may report allocation failure) by
  // throwing; nothing thrown leaves this function.
  try {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
      return validate(nlohmann::json::object(), fields);
    // nlohmann keeps the last of two equal keys; a body that says two things is refused
    // instead, so that no reader of the request log sees a different value than we acted on.
    std::set<std::string, std::less<>> seen;
    std::string duplicate;
    auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string() &&
          !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
      return true;
    };
    nlohmann::json parsed = nlohmann::json::parse(body, on_event);
    if (!duplicate.empty()) return Error{fmt::format("duplicate field \"{}\"", shown(duplicate))};
    return validate(std::move(parsed), fields);
  } catch (const nlohmann::json::parse_error& e) {
    return Error{fmt::format("the body is not valid JSON: {}", e.what())};
  } catch (const std::exception& e) {
    return Error{fmt::format("the body could not be read: {}", e.what())};
  }
}

}  // namespace gatehouse::admin
