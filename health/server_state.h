#pragma once
// A backend server's two independent states (HAProxy's model): what the operator wants
// (AdminState) and what the checks see (Health). A server takes new requests only when it is
// Ready and Up.
//
//   AdminState: Ready <-> Draining (finish in-flight, take no new) <-> Maintenance (take nothing)
//   Health:     Up <-> Down (decided by rise/fall of active checks and passive ejection)

#include <cstdint>
#include <string_view>

namespace gatehouse::health {

enum class AdminState : uint8_t { Ready, Draining, Maintenance };
enum class Health : uint8_t { Up, Down };

constexpr std::string_view toString(AdminState s) {
  switch (s) {
    case AdminState::Ready:
      return "ready";
    case AdminState::Draining:
      return "drain";
    case AdminState::Maintenance:
      return "maint";
  }
  return "?";
}

constexpr std::string_view toString(Health h) {
  return h == Health::Up ? "up" : "down";
}

}  // namespace gatehouse::health
