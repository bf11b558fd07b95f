// Applying another instance's records to this process, as the admin API would (no Redis).
#include "admin-api/cluster/process_state.h"

#include <gtest/gtest.h>

#include "../fake_process_control.h"

namespace gatehouse::cluster {
namespace {

using admin::testing::FakeProcessControl;

TEST(ProcessState, AppliesAServerStateAndTellsTheWorkers) {
  FakeProcessControl control;
  gate::ReadOnlyState read_only;
  Record r{serverKey("app", "app2"), 10, "web2", serverData(health::AdminState::Draining)};
  auto applied = applyRecord(r, control, read_only);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, "app/app2 drain");
  EXPECT_EQ(control.server(1).adminState(), health::AdminState::Draining);
  EXPECT_EQ(control.backends_changed, 1);
  // Already so: nothing to say, nobody woken.
  EXPECT_EQ(*applyRecord(r, control, read_only), "");
  EXPECT_EQ(control.backends_changed, 1);
  EXPECT_EQ(currentData(r.key, control, read_only), r.data);
}

TEST(ProcessState, AppliesAPoolPause) {
  FakeProcessControl control;
  gate::ReadOnlyState read_only;
  auto applied = applyRecord(Record{poolKey("app"), 1, "b", poolData(true)}, control, read_only);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, "pool app paused");
  EXPECT_TRUE(control.snapshot()->pools[0]->paused());
}

TEST(ProcessState, AppliesReadOnlyWithItsReasonAndSince) {
  FakeProcessControl control;
  gate::ReadOnlyState read_only;
  gate::ReadOnlyState::View view;
  view.enabled = true;
  view.reason = "db migration";
  view.message = "back soon";
  view.since = gate::ReadOnlyState::Clock::time_point(std::chrono::seconds(1700000000));
  auto applied = applyRecord(Record{std::string(kReadOnlyKey), 1, "b", readOnlyData(view)}, control,
                             read_only);
  ASSERT_TRUE(applied);
  EXPECT_EQ(*applied, "read-only ON (reason \"db migration\")");
  const auto now = read_only.view();
  EXPECT_TRUE(now.enabled);
  EXPECT_EQ(now.reason, "db migration");
  EXPECT_EQ(now.message, "back soon");
  EXPECT_EQ(now.since, view.since);
}

TEST(ProcessState, RefusesWhatDoesNotFitThisInstance) {
  FakeProcessControl control;
  gate::ReadOnlyState read_only;
  for (const Record& r : {Record{serverKey("app", "nope"), 1, "b", serverData({})},
                          Record{poolKey("other"), 1, "b", poolData(true)},
                          Record{serverKey("app", "app1"), 1, "b", {{"state", "sleeping"}}},
                          Record{"weights/app", 1, "b", nlohmann::json::object()},
                          Record{std::string(kReadOnlyKey), 1, "b", "on"}})
    EXPECT_FALSE(applyRecord(r, control, read_only)) << r.key;
  EXPECT_EQ(control.backends_changed, 0);
}

TEST(ProcessState, APurgeNeedsACache) {
  FakeProcessControl control;
  EXPECT_FALSE(applyPurge(PurgeEvent{"b", "https://h/x", "", ""}, control));
}

}  // namespace
}  // namespace gatehouse::cluster
