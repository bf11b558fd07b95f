#pragma once
// Shared by the config tests: load text as if it were "gatehouse.yaml" and look at the outcome.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/loader.h"

namespace gatehouse::config::testing {

// A valid config of 8 lines, so that a test appending a section knows its first line is 9.
inline constexpr std::string_view kMinimalConfig = R"(listeners:
  - address: 127.0.0.1:8080
backends:
  app:
    servers:
      - { name: app1, address: 127.0.0.1:8001 }
routes:
  - { backend: app }
)";

// kMinimalConfig followed by `more`, which starts on line 9.
inline std::string minimalPlus(std::string_view more) {
  return std::string(kMinimalConfig) + std::string(more);
}

// The error text for `yaml`, or "OK" when it loads.
inline std::string errorsOf(std::string_view yaml) {
  auto result = loadConfigText(yaml, "gatehouse.yaml");
  return result ? std::string("OK") : result.error().message;
}

// The Config for `yaml`; fails the test (and returns an empty Config) when it does not load.
inline std::shared_ptr<const Config> load(std::string_view yaml) {
  auto result = loadConfigText(yaml, "gatehouse.yaml");
  if (!result) {
    ADD_FAILURE() << "config did not load:\n" << result.error().message;
    return std::make_shared<const Config>();
  }
  return *result;
}

}  // namespace gatehouse::config::testing
