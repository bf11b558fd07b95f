#include "proxy/gate/read_only_state.h"

namespace gatehouse::gate {

ReadOnlyState::ReadOnlyState() {
  auto initial = std::make_shared<View>();
  initial->settings = std::make_shared<const config::ReadOnlyConfig>();
  view_.store(std::move(initial));
}

ReadOnlyState& ReadOnlyState::process() {
  static ReadOnlyState state;
  return state;
}

void ReadOnlyState::configure(std::shared_ptr<const config::ReadOnlyConfig> settings) {
  // Writers are on the main loop only, so load-modify-store does not race with another writer.
  auto next = std::make_shared<View>(*view_.load());
  next->settings = std::move(settings);
  view_.store(std::move(next), std::memory_order_release);
}

ReadOnlyState::View ReadOnlyState::set(bool enabled, std::string reason,
                                       std::optional<Clock::time_point> since,
                                       std::string message) {
  std::shared_ptr<const View> before = view_.load();
  auto next = std::make_shared<View>(*before);
  next->enabled = enabled;
  next->reason = std::move(reason);
  next->message = std::move(message);
  next->since = since;
  // The view first: a reader that sees enabled_ then finds the reason and settings that go
  // with it.
  view_.store(std::move(next), std::memory_order_release);
  enabled_.store(enabled, std::memory_order_release);
  if (before->enabled && !enabled) {
    std::vector<std::shared_ptr<const SwitchedOff>> listeners;
    {
      std::lock_guard lock(listeners_mu_);
      std::erase_if(switched_off_, [](const auto& weak) { return weak.expired(); });
      for (const auto& weak : switched_off_)
        if (auto f = weak.lock()) listeners.push_back(std::move(f));
    }
    for (const auto& f : listeners)
      (*f)();
  }
  return *before;
}

std::shared_ptr<const void> ReadOnlyState::onSwitchedOff(SwitchedOff f) {
  auto subscription = std::make_shared<const SwitchedOff>(std::move(f));
  std::lock_guard lock(listeners_mu_);
  switched_off_.push_back(subscription);
  return subscription;
}

}  // namespace gatehouse::gate
