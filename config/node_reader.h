#pragma once
// Typed reading of yaml-cpp nodes with errors reported, not thrown. Internal to config/: the
// section parsers use these so that every key gets the same checks (type, unknown keys,
// duplicates) and the same wording in messages.
//
// Each reader reports a problem to Diagnostics and returns nullopt/false; callers keep the default
// and carry on, so one pass finds every problem.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace gatehouse::config {

// A node with the name an operator would give it and the place to point at.
struct Value {
  YAML::Node node;
  std::string path;  // dotted: `backends.app.servers[1].weight`; empty for the document
  YAML::Mark mark;   // the value's position, or its key's when the value is empty
};

// `path.key` and `path[index]`.
std::string childPath(std::string_view path, std::string_view key);
std::string itemPath(std::string_view path, size_t index);

// "a map", "a list", "nothing", or a scalar quoted (and cut short): the Y of "expected X, got Y".
std::string describe(const YAML::Node& node);

// Names of pools and servers appear in admin URLs and `ctl drain POOL/SERVER`, so they are
// limited to letters, digits, '-', '_' and '.'.
bool isValidName(std::string_view name);
inline constexpr std::string_view kNameRule = "use letters, digits, '-', '_' or '.'";

// A non-empty scalar.
std::optional<std::string> readString(const Value& v, Diagnostics& diag);
// A name as isValidName() allows.
std::optional<std::string> readName(const Value& v, Diagnostics& diag);
// A whole decimal number in [min, max].
std::optional<uint32_t> readUint(const Value& v, uint32_t min, uint32_t max, Diagnostics& diag);
// `true` or `false` only: YAML 1.1's yes/no/on/off surprise people (the Norway problem).
std::optional<bool> readBool(const Value& v, Diagnostics& diag);
std::optional<Duration> readDuration(const Value& v, Diagnostics& diag);
std::optional<ByteSize> readByteSize(const Value& v, Diagnostics& diag);
std::optional<Address> readAddress(const Value& v, Diagnostics& diag);

// One of a fixed set of words, e.g. {{"round_robin", Balance::RoundRobin}, ...}.
template <typename E>
std::optional<E> readChoice(const Value& v,
                            std::initializer_list<std::pair<std::string_view, E>> choices,
                            Diagnostics& diag);

// How one key of a fixed-shape map is read.
struct Field {
  std::string_view key;
  std::function<void(const Value&)> read;
  bool required = false;
};

// Reads a map whose keys are fixed: each key in `fields` goes to its reader, once. Keys listed in
// `unsupported` are known to INTERFACE.md but not implemented yet and get "not supported yet in
// this version", so nobody believes a feature is on when it is not; any other key is unknown. An
// empty value (`timeouts:`) reads as an empty map. Returns false when `map` is not a map.
bool readMap(const Value& map, std::initializer_list<Field> fields,
             std::span<const std::string_view> unsupported, Diagnostics& diag);

// Reads a map whose keys are names the operator chose (`backends:`), calling
// `read(name, name_mark, value)` in file order for each scalar key not seen before. `noun` words
// the duplicate error ("duplicate backend name"). Returns false when `map` is not a map.
using NamedReader =
    std::function<void(const std::string& name, const YAML::Mark& name_mark, const Value&)>;
bool readNamedMap(const Value& map, std::string_view noun, const NamedReader& read,
                  Diagnostics& diag);

// Calls `read(item)` for each item of a list; an empty value is an empty list. Returns false when
// `list` is not a list.
bool readList(const Value& list, const std::function<void(const Value&)>& read, Diagnostics& diag);

// ---------------------------------------------------------------------------------------------

// "expected a, b or c, got X".
void reportChoiceError(const Value& v, const std::vector<std::string_view>& names,
                       Diagnostics& diag);

template <typename E>
std::optional<E> readChoice(const Value& v,
                            std::initializer_list<std::pair<std::string_view, E>> choices,
                            Diagnostics& diag) {
  if (v.node.IsScalar()) {
    for (const auto& [name, value] : choices)
      if (v.node.Scalar() == name) return value;
  }
  std::vector<std::string_view> names;
  for (const auto& c : choices)
    names.push_back(c.first);
  reportChoiceError(v, names, diag);
  return std::nullopt;
}

}  // namespace gatehouse::config
