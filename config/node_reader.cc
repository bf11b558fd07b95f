#include "config/node_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <vector>

#include "config/address.h"
#include "config/units.h"

namespace gatehouse::config {
namespace {

// A scalar as shown in messages: quoted, and cut short so that one bad value cannot flood the
// terminal (control characters are escaped by Diagnostics).
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 60;
  if (s.size() <= kMax) return fmt::format("\"{}\"", s);
  return fmt::format("\"{}...\"", s.substr(0, kMax));
}

// Edit distance, for "did you mean". Keys are short; longer input is not worth comparing.
size_t editDistance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return SIZE_MAX;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknownKeyMessage(std::string_view key, std::initializer_list<Field> fields) {
  std::string_view best;
  size_t best_distance = 3;  // suggest only near misses: typos, not different words
  for (const Field& f : fields) {
    size_t d = editDistance(key, f.key);
    if (d < best_distance && d < f.key.size()) {
      best = f.key;
      best_distance = d;
    }
  }
  if (best.empty()) return "unknown key";
  return fmt::format("unknown key (did you mean \"{}\"?)", best);
}

// The children of a map, checked for what every map must satisfy (scalar keys, no duplicates);
// `visit(key, value)` sees each good pair in file order. Stops early once Diagnostics is full.
void forEachPair(const Value& map, std::string_view duplicate_noun, const NamedReader& visit,
                 Diagnostics& diag) {
  std::unordered_map<std::string, YAML::Mark> seen;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    if (diag.full()) return;
    // Copies: yaml-cpp's iterator hands out a temporary proxy; a reference would dangle.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      diag.error(key.Mark(), map.path, fmt::format("expected a key name, got {}", describe(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    std::string path = childPath(map.path, name);
    auto [first, inserted] = seen.emplace(name, key.Mark());
    if (!inserted) {
      diag.error(key.Mark(), path,
                 fmt::format("duplicate {} (first at {}:{})", duplicate_noun,
                             first->second.line + 1, first->second.column + 1));
      continue;
    }
    const YAML::Node value = it->second;
    visit(name, key.Mark(),
          Value{value, std::move(path), value.IsNull() ? key.Mark() : value.Mark()});
  }
}

bool expectMap(const Value& v, Diagnostics& diag) {
  if (v.node.IsMap() || v.node.IsNull()) return true;
  diag.error(v.mark, v.path, fmt::format("expected a map, got {}", describe(v.node)));
  return false;
}

// The scalar text of `v`, or an error naming what was expected ("a duration like 10s").
std::optional<std::string_view> scalar(const Value& v, std::string_view expected,
                                       Diagnostics& diag) {
  if (v.node.IsScalar()) return std::string_view(v.node.Scalar());
  diag.error(v.mark, v.path, fmt::format("expected {}, got {}", expected, describe(v.node)));
  return std::nullopt;
}

}  // namespace

std::string childPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string itemPath(std::string_view path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

bool isValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::optional<std::string> readString(const Value& v, Diagnostics& diag) {
  auto s = scalar(v, "a string", diag);
  if (!s) return std::nullopt;
  if (s->empty()) {
    diag.error(v.mark, v.path, "must not be empty");
    return std::nullopt;
  }
  return std::string(*s);
}

std::optional<std::string> readName(const Value& v, Diagnostics& diag) {
  auto s = readString(v, diag);
  if (!s) return std::nullopt;
  if (!isValidName(*s)) {
    diag.error(v.mark, v.path, fmt::format("bad name {} ({})", quoted(*s), kNameRule));
    return std::nullopt;
  }
  return s;
}

std::optional<uint32_t> readUint(const Value& v, uint32_t min, uint32_t max, Diagnostics& diag) {
  std::string expected = fmt::format("a whole number from {} to {}", min, max);
  auto s = scalar(v, expected, diag);
  if (!s) return std::nullopt;
  uint64_t n = 0;
  const char* end = s->data() + s->size();
  auto [rest, ec] = std::from_chars(s->data(), end, n);
  if (ec != std::errc() || rest != end || n < min || n > max) {
    diag.error(v.mark, v.path, fmt::format("expected {}, got {}", expected, describe(v.node)));
    return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

std::optional<bool> readBool(const Value& v, Diagnostics& diag) {
  return readChoice<bool>(v, {{"true", true}, {"false", false}}, diag);
}

std::optional<Duration> readDuration(const Value& v, Diagnostics& diag) {
  auto s = scalar(v, "a duration like 10s", diag);
  if (!s) return std::nullopt;
  auto d = parseDuration(*s);
  if (!d) {
    diag.error(v.mark, v.path, d.error().message);
    return std::nullopt;
  }
  return *d;
}

std::optional<ByteSize> readByteSize(const Value& v, Diagnostics& diag) {
  auto s = scalar(v, "a size like 8KiB", diag);
  if (!s) return std::nullopt;
  auto size = parseByteSize(*s);
  if (!size) {
    diag.error(v.mark, v.path, size.error().message);
    return std::nullopt;
  }
  return *size;
}

std::optional<Address> readAddress(const Value& v, Diagnostics& diag) {
  auto s = scalar(v, "an address like 127.0.0.1:8080", diag);
  if (!s) return std::nullopt;
  auto a = parseAddress(*s);
  if (!a) {
    diag.error(v.mark, v.path, a.error().message);
    return std::nullopt;
  }
  return std::move(a).value();
}

void reportChoiceError(const Value& v, const std::vector<std::string_view>& names,
                       Diagnostics& diag) {
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += (i + 1 == names.size()) ? " or " : ", ";
    expected += names[i];
  }
  diag.error(v.mark, v.path, fmt::format("expected {}, got {}", expected, describe(v.node)));
}

bool readMap(const Value& map, std::initializer_list<Field> fields,
             std::span<const std::string_view> unsupported, Diagnostics& diag) {
  if (!expectMap(map, diag)) return false;
  std::vector<bool> present(fields.size(), false);
  forEachPair(
      map, "key",
      [&](const std::string& key, const YAML::Mark& key_mark, const Value& value) {
        auto field = std::find_if(fields.begin(), fields.end(),
                                  [&](const Field& f) { return f.key == key; });
        if (field != fields.end()) {
          present[static_cast<size_t>(field - fields.begin())] = true;
          field->read(value);
        } else if (std::find(unsupported.begin(), unsupported.end(), key) != unsupported.end()) {
          diag.error(key_mark, value.path, "not supported yet in this version");
        } else {
          diag.error(key_mark, value.path, unknownKeyMessage(key, fields));
        }
      },
      diag);
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields.begin()[i];
    if (f.required && !present[i] && !diag.full())
      diag.error(map.mark, childPath(map.path, f.key), "required key is missing");
  }
  return true;
}

bool readNamedMap(const Value& map, std::string_view noun, const NamedReader& read,
                  Diagnostics& diag) {
  if (!expectMap(map, diag)) return false;
  forEachPair(map, noun, read, diag);
  return true;
}

bool readList(const Value& list, const std::function<void(const Value&)>& read, Diagnostics& diag) {
  if (!list.node.IsSequence() && !list.node.IsNull()) {
    diag.error(list.mark, list.path, fmt::format("expected a list, got {}", describe(list.node)));
    return false;
  }
  size_t index = 0;
  for (auto it = list.node.begin(); it != list.node.end(); ++it, ++index) {
    if (diag.full()) break;
    const YAML::Node item = *it;
    read(Value{item, itemPath(list.path, index), item.IsNull() ? list.mark : item.Mark()});
  }
  return true;
}

}  // namespace gatehouse::config
