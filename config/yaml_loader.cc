// The entry points: bytes -> YAML -> Config, with the exception boundary. yaml-cpp reports
// syntax errors (and a few other things) by throwing; nothing thrown may leave this file.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "config/diagnostic.h"
#include "config/loader.h"
#include "config/sections.h"

namespace gatehouse::config {
namespace {

// A config is a few KiB; anything this large is the wrong file (or /dev/zero).
constexpr size_t kMaxFileSize = size_t{16} << 20;

// The whole file, or why not. Plain read(2) so that errno says what went wrong, and so that
// pipes (`-c <(generate-config)`) work as well as regular files.
Result<std::string> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{std::strerror(errno)};
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return Error{std::strerror(saved)};
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      ::close(fd);
      return Error{fmt::format("larger than {} MiB; is this the right file?", kMaxFileSize >> 20)};
    }
  }
  ::close(fd);
  return text;
}

Result<std::shared_ptr<const Config>> load(std::string_view yaml, const std::string& source) {
  Diagnostics diag(source);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    // ParserException, and DeepRecursion for absurd nesting: both carry the position.
    diag.error(e.mark, "", fmt::format("YAML syntax error: {}", e.msg));
    return Error{diag.text()};
  }
  // An empty file is an empty map: the missing required sections are then reported by name.
  YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  for (size_t i = 1; i < documents.size(); ++i) {
    diag.error(documents[i].Mark(), "",
               "a config file holds one YAML document; remove the second \"---\"");
  }
  Config config = readDocument(Value{root, "", root.Mark()}, diag);
  if (!diag.empty()) return Error{diag.text()};
  config.source = source;
  return std::shared_ptr<const Config>(std::make_shared<Config>(std::move(config)));
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
  }
}

}  // namespace gatehouse::config
