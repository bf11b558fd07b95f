// Fuzzes the config loader: any bytes in, never a crash, never an exception (yaml-cpp throws;
// loadConfigText must catch at its boundary), and what comes out keeps the loader's promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"

namespace {

// A loaded Config holds what validation promises to every module that reads it.
bool keepsPromises(const gatehouse::config::Config& c) {
  if (c.listeners.empty() || c.backends.empty() || c.routes.empty()) return false;
  if (c.workers < 1 || c.workers > 256) return false;
  for (const auto& b : c.backends)
    if (b.servers.empty()) return false;
  for (const auto& r : c.routes)
    if (!c.findBackend(r.backend) || r.path_prefix.empty() || r.path_prefix[0] != '/') return false;
  return true;
}

// Every error line names the source, and no line is empty.
bool isWellFormedError(std::string_view message) {
  if (message.empty()) return false;
  while (!message.empty()) {
    size_t end = message.find('\n');
    std::string_view line = message.substr(0, end);
    if (!line.starts_with("fuzz.yaml")) return false;
    if (end == std::string_view::npos) break;
    message.remove_prefix(end + 1);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = gatehouse::config::loadConfigText(text, "fuzz.yaml");
  if (result ? !keepsPromises(**result) : !isWellFormedError(result.error().message))
    __builtin_trap();
  return 0;
}
