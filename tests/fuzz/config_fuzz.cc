// Fuzzes the config loader: any bytes in, never a crash, never an exception (yaml-cpp throws;
// loadConfigText must catch at its boundary), and what comes out keeps the loader's promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using gatehouse::fuzz::ExactCopy;

// A loaded Config holds what validation promises to every module that reads it.
void checkPromises(const gatehouse::config::Config& c) {
  FUZZ_CHECK(!c.listeners.empty() && !c.backends.empty() && !c.routes.empty());
  FUZZ_CHECK(c.workers >= 1 && c.workers <= 256);
  for (const auto& b : c.backends)
    FUZZ_CHECK(!b.servers.empty());
  for (const auto& r : c.routes) {
    FUZZ_CHECK(c.findBackend(r.backend) != nullptr);
    FUZZ_CHECK(!r.path_prefix.empty() && r.path_prefix[0] == '/');
  }
}

// One error per line, each naming the source: tools and editors rely on that shape.
void checkErrorShape(std::string_view message) {
  FUZZ_CHECK(!message.empty());
  while (true) {
    size_t end = message.find('\n');
    FUZZ_CHECK(message.substr(0, end).starts_with("fuzz.yaml"));
    if (end == std::string_view::npos) break;
    message.remove_prefix(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so that ASan sees any read past the end of the input.
  ExactCopy input(std::string_view(reinterpret_cast<const char*>(data), size));
  auto result = gatehouse::config::loadConfigText(input.view(), "fuzz.yaml");
  if (result)
    checkPromises(**result);
  else
    checkErrorShape(result.error().message);
  return 0;
}
