// GET/PUT /backends...: what they show, what they change, what they refuse, and the "backends"
// section of the state file (written on change, restored at start).
#include <gtest/gtest.h>

#include <filesystem>

#include "admin-api/backend_state_store.h"
#include "admin-api/endpoint.h"
#include "fake_process_control.h"

namespace gatehouse::admin {
namespace {

namespace fs = std::filesystem;

class BackendsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("gh_be_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  AdminRequest request(std::string method, std::string pool, std::string server = {},
                       std::string body = {}) {
    AdminRequest r;
    r.method = std::move(method);
    r.client = "127.0.0.1:4242";
    r.body = std::move(body);
    r.params.emplace_back("pool", std::move(pool));
    if (!server.empty()) r.params.emplace_back("server", std::move(server));
    return r;
  }
  nlohmann::json call(AdminResponse (*endpoint)(const AdminRequest&, AdminContext&),
                      const AdminRequest& r, int want_status = 200) {
    AdminContext context{control_, counters_, state_file_ ? &*state_file_ : nullptr};
    AdminResponse response = endpoint(r, context);
    EXPECT_EQ(response.status, want_status) << response.body;
    return nlohmann::json::parse(response.body);
  }

  fs::path dir_;
  testing::FakeProcessControl control_;
  AdminCounters counters_;
  std::optional<StateFile> state_file_;
};

TEST_F(BackendsEndpointTest, ListsPoolsAndServersWithStateHealthAndInFlight) {
  control_.server(1).setHealth(health::Health::Down);
  control_.server(0).beginRequest();
  auto all = call(backendsEndpoint, AdminRequest{});
  ASSERT_EQ(all["pools"].size(), 1u);
  const auto& pool = all["pools"][0];
  EXPECT_EQ(pool["name"], "app");
  EXPECT_EQ(pool["paused"], false);
  EXPECT_EQ(pool["in_flight"], 1);
  EXPECT_EQ(pool["servers"][0]["name"], "app1");
  EXPECT_EQ(pool["servers"][0]["state"], "ready");
  EXPECT_EQ(pool["servers"][0]["in_flight"], 1);
  EXPECT_EQ(pool["servers"][0]["drained"], false);
  EXPECT_EQ(pool["servers"][1]["health"], "down");
  EXPECT_EQ(pool["servers"][1]["available"], false);
  control_.server(0).endRequest();
}

TEST_F(BackendsEndpointTest, DrainShowsInFlightUntilDrained) {
  control_.server(0).beginRequest();
  auto s = call(setBackendServerEndpoint, request("PUT", "app", "app1", R"({"state": "drain"})"));
  EXPECT_EQ(s["state"], "drain");
  EXPECT_EQ(s["in_flight"], 1);
  EXPECT_EQ(s["drained"], false);
  EXPECT_EQ(s["persisted"], false);  // no state_file configured
  EXPECT_EQ(control_.backends_changed, 1);
  control_.server(0).endRequest();
  s = call(backendServerEndpoint, request("GET", "app", "app1"));
  EXPECT_EQ(s["drained"], true);
  // Setting the same state again changes nothing and tells nobody.
  call(setBackendServerEndpoint, request("PUT", "app", "app1", R"({"state": "drain"})"));
  EXPECT_EQ(control_.backends_changed, 1);
}

TEST_F(BackendsEndpointTest, RefusesUnknownTargetsAndBadBodies) {
  call(setBackendServerEndpoint, request("PUT", "app", "app9", R"({"state": "drain"})"), 404);
  call(setBackendServerEndpoint, request("PUT", "nope", "app1", R"({"state": "drain"})"), 404);
  auto e = call(setBackendServerEndpoint, request("PUT", "app", "app1", R"({"state": "up"})"), 400);
  EXPECT_EQ(e["error"], "state: expected \"ready\", \"drain\" or \"maint\", got \"up\"");
  call(setBackendServerEndpoint, request("PUT", "app", "app1", R"({"sate": "drain"})"), 400);
  call(setBackendPoolEndpoint, request("PUT", "app", "", R"({"paused": 1})"), 400);
  call(backendPoolEndpoint, request("GET", "nope"), 404);
  EXPECT_EQ(control_.server(0).adminState(), health::AdminState::Ready);
  EXPECT_EQ(control_.backends_changed, 0);
}

TEST_F(BackendsEndpointTest, ChangesAreSavedAndRestoredAtStart) {
  state_file_.emplace(StateFile::empty((dir_ / "state.json").string()));
  auto s = call(setBackendServerEndpoint, request("PUT", "app", "app2", R"({"state": "maint"})"));
  EXPECT_EQ(s["persisted"], true);
  auto p = call(setBackendPoolEndpoint, request("PUT", "app", "", R"({"paused": true})"));
  EXPECT_EQ(p["paused"], true);
  EXPECT_EQ(p["persisted"], true);

  auto reopened = StateFile::open((dir_ / "state.json").string());
  ASSERT_TRUE(reopened);
  EXPECT_EQ(*reopened->section(kBackendsSection),
            nlohmann::json::parse(
                R"({"app": {"paused": true, "servers": {"app1": "ready", "app2": "maint"}}})"));
  testing::FakeProcessControl fresh;
  restoreBackendStates(&*reopened, *fresh.snapshot());
  EXPECT_EQ(fresh.server(0).adminState(), health::AdminState::Ready);
  EXPECT_EQ(fresh.server(1).adminState(), health::AdminState::Maintenance);
  EXPECT_TRUE(fresh.snapshot()->pools[0]->paused());
}

TEST_F(BackendsEndpointTest, RestoreIgnoresWhatIsNoLongerConfiguredOrUnreadable) {
  StateFile state = StateFile::empty((dir_ / "state.json").string());
  ASSERT_TRUE(
      state.writeSection(kBackendsSection, nlohmann::json::parse(R"({"gone": {"paused": true},
                                "app": {"servers": {"app1": "sideways", "app2": "drain",
                                                    "app3": "maint"}}})")));
  testing::FakeProcessControl fresh;
  restoreBackendStates(&state, *fresh.snapshot());
  EXPECT_EQ(fresh.server(0).adminState(), health::AdminState::Ready);
  EXPECT_EQ(fresh.server(1).adminState(), health::AdminState::Draining);
  EXPECT_FALSE(fresh.snapshot()->pools[0]->paused());
}

TEST_F(BackendsEndpointTest, ASaveThatFailsIsAppliedButAnswered500) {
  fs::create_directories(dir_ / "ro");
  state_file_.emplace(StateFile::empty((dir_ / "ro" / "missing-dir" / "state.json").string()));
  auto s =
      call(setBackendServerEndpoint, request("PUT", "app", "app1", R"({"state": "drain"})"), 500);
  EXPECT_EQ(s["persisted"], false);
  EXPECT_NE(s["error"].get<std::string>().find("app/app1 is drain, but it could not be saved"),
            std::string::npos);
  EXPECT_EQ(control_.server(0).adminState(), health::AdminState::Draining);
}

}  // namespace
}  // namespace gatehouse::admin
