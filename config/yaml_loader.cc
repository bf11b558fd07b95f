// The entry points: bytes -> YAML -> Config, with the exception boundary. yaml-cpp reports
// syntax errors (and a few other things) by throwing; nothing thrown may leave this file.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>

#include "config/diagnostic.h"
#include "config/file_reader.h"
#include "config/loader.h"
#include "config/sections.h"
#include "config/yaml_syntax.h"

namespace gatehouse::config {
namespace {

// A config is a few KiB; anything this large is the wrong file (or /dev/zero).
constexpr size_t kMaxFileSize = size_t{16} << 20;

// The whole file, or why not. Plain read(2) so that errno says what went wrong, and so that
// pipes (`-c <(generate-config)`) work as well as regular files.
Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{std::strerror(errno)};
  return readAllBounded(fd, kMaxFileSize, fmt::format("{} MiB", kMaxFileSize >> 20));
}

// Notes where each document starts and ignores the rest of the events.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Where a second document starts, if the text has one. We ask the parser for at most two
// documents rather than calling YAML::LoadAll: on some malformed input yaml-cpp 0.7 yields empty
// documents forever without consuming anything, and LoadAll then never returns (found by
// config_fuzz).
std::optional<YAML::Mark> findSecondDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts)) return std::nullopt;
  starts.start.reset();
  if (!parser.HandleNextDocument(starts)) return std::nullopt;
  return starts.start.value_or(YAML::Mark::null_mark());
}

Result<std::shared_ptr<const Config>> load(std::string_view yaml, const std::string& source) {
  Diagnostics diag(source);
  // An empty file loads as a null node, read as an empty map: the missing required sections are
  // then reported by name.
  YAML::Node root;
  std::optional<YAML::Mark> second;
  try {
    std::string text(yaml);
    root = YAML::Load(text);
    second = findSecondDocument(text);
  } catch (const YAML::Exception& e) {
    // ParserException, and DeepRecursion for absurd nesting: both carry the position.
    diag.error(e.mark, "", plainYamlError(e.msg));
    return Error{diag.text()};
  }
  // YAML::Load reads only the first document; a second would be silently ignored.
  if (second)
    diag.error(*second, "", "a second YAML document starts here; a config file holds one");
  Config config = readDocument(Value{root, "", root.Mark()}, diag);
  if (!diag.empty()) return Error{diag.text()};
  config.source = source;
  return std::shared_ptr<const Config>(std::make_shared<Config>(std::move(config)));
}

Result<AdminConfig> loadAdmin(const std::string& text, const std::string& source) {
  Diagnostics diag(source);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, "", plainYamlError(e.msg));
    return Error{diag.text()};
  }
  // Found by walking the map, not root["admin"]: the key's mark is where an empty section is
  // reported, as the full loader does.
  if (root.IsMap()) {
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar() || key.Scalar() != "admin") continue;
      AdminConfig admin;
      readAdmin(Value{value, "admin", value.IsNull() ? key.Mark() : value.Mark()}, {}, admin, diag);
      if (!diag.empty()) return Error{diag.text()};
      return admin;
    }
  }
  return Error{fmt::format("{}: no admin: section (the admin API is off)", source)};
}

}  // namespace

Result<std::shared_ptr<const Config>> loadConfigText(std::string_view yaml,
                                                     const std::string& source_name) {
  // The boundary: yaml-cpp may throw from places we do not expect, and so may an allocation.
  try {
    return load(yaml, source_name);
  } catch (const std::exception& e) {
    return Error{
        fmt::format("{}: internal error while reading the config: {}", source_name, e.what())};
  } catch (...) {
    return Error{fmt::format("{}: internal error while reading the config", source_name)};
  }
}

Result<std::shared_ptr<const Config>> loadConfigFile(const std::string& path) {
  try {
    auto text = readFile(path);
    if (!text) return Error{fmt::format("{}: cannot read: {}", path, text.error().message)};
    return loadConfigText(*text, path);
  } catch (const std::exception& e) {
    return Error{fmt::format("{}: cannot read: {}", path, e.what())};
  } catch (...) {
    return Error{fmt::format("{}: cannot read", path)};
  }
}

Result<AdminConfig> loadAdminConfigFile(const std::string& path) {
  try {
    auto text = readFile(path);
    if (!text) return Error{fmt::format("{}: cannot read: {}", path, text.error().message)};
    return loadAdmin(*text, path);
  } catch (const std::exception& e) {
    return Error{fmt::format("{}: cannot read: {}", path, e.what())};
  } catch (...) {
    return Error{fmt::format("{}: cannot read", path)};
  }
}

}  // namespace gatehouse::config
