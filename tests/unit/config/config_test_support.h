#pragma once
// Shared by the config tests: load text as if it were "gatehouse.yaml" and look at the outcome.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/loader.h"

namespace gatehouse::config::testing {

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
