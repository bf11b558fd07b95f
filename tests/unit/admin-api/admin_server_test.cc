// AdminServer and AdminClient together on loopback: the server on an in-process loop with a
// fake ProcessControl, the client on a thread (it blocks). Checks what the endpoints answer and,
// above all, that a refused request changes nothing.
#include "admin-api/admin_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "admin-api/ctl/admin_client.h"
#include "admin-api/json_body.h"
#include "fake_process_control.h"

namespace gatehouse::admin {
namespace {

using testing::kToken;

class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest() {
    auto started = AdminServer::start(loop_, control, *control.snapshot()->config->admin);
    if (!started) ADD_FAILURE() << started.error().message;
    server_ = std::move(*started);
  }

  // One request from a client thread while the loop serves it.
  AdminReply send(std::string_view method, std::string_view path, std::string_view body = {},
                  std::string token = std::string(kToken)) {
    AdminAddress address{"127.0.0.1", server_->address().port(), "admin"};
    AdminClient client(address, std::move(token), {Duration(2000), Duration(5000)});
    Result<AdminReply> reply = Error{"not run"};
    std::thread thread([&] {
      reply = client.send(method, path, body);
      loop_.stop();
    });
    loop_.run();
    thread.join();
    if (!reply) {
      ADD_FAILURE() << reply.error().message;
      return {};
    }
    return *reply;
  }

  static nlohmann::json json(const AdminReply& r) { return nlohmann::json::parse(r.body); }

 private:
  struct Threads {  // before the loop: libevent must know about threads first
    Threads() { net::initLibeventThreading(); }
  } threads_;

 protected:
  testing::FakeProcessControl control;

 private:
  net::EventLoop loop_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, AnswersHealthzWithoutAToken) {
  AdminReply r = send("GET", "/healthz", {}, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}\n");
}

TEST_F(AdminServerTest, RefusesEverythingElseWithoutTheRightToken) {
  for (std::string token : {std::string(), std::string("wrong"), std::string(kToken) + "x"}) {
    for (auto [method, path] : {std::pair{"GET", "/status"},
                                {"POST", "/reload"},
                                {"GET", "/metrics"},
                                {"GET", "/no-such-thing"}}) {
      AdminReply r = send(method, path, {}, token);
      EXPECT_EQ(r.status, 401) << method << " " << path << " token " << token;
      EXPECT_TRUE(json(r).contains("error"));
    }
  }
  EXPECT_EQ(control.reloads, 0);
}

TEST_F(AdminServerTest, ShowsTheStatus) {
  control.counters[0]->connections_open = 3;
  AdminReply r = send("GET", "/status");
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = json(r);
  EXPECT_EQ(s["version"], "9.9.9");
  EXPECT_GE(s["uptime_s"].get<int64_t>(), 3725);
  EXPECT_EQ(s["workers"], 2);
  EXPECT_EQ(s["connections"], 3);
  EXPECT_EQ(s["config"], "/etc/gatehouse/gatehouse.yaml");
  EXPECT_TRUE(s["last_reload"].is_null());
  EXPECT_EQ(s["read_only"],
            nlohmann::json({{"enabled", false}, {"reason", ""}, {"since", nullptr}}));
  EXPECT_TRUE(s["started"].get<std::string>().ends_with("Z"));
}

TEST_F(AdminServerTest, ReloadsAndSaysSo) {
  AdminReply r = send("POST", "/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json(r), nlohmann::json({{"reloaded", true}}));
  EXPECT_EQ(control.reloads, 1);
  EXPECT_FALSE(json(send("GET", "/status"))["last_reload"].is_null());
}

TEST_F(AdminServerTest, AnswersAFailedReloadWith422AndTheErrors) {
  control.reload_error = "gatehouse.yaml:3:5: routes[0].backend: no such backend \"nope\"";
  AdminReply r = send("POST", "/reload", "{}");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json(r)["error"], *control.reload_error);
}

TEST_F(AdminServerTest, RefusesBadBodiesBeforeActing) {
  AdminReply unknown = send("POST", "/reload", R"({"force": true})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(json(unknown)["error"], "unknown field \"force\"");
  AdminReply bad = send("POST", "/reload", "{");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(json(bad)["error"].get<std::string>().starts_with("the body is not valid JSON"));
  AdminReply big = send("POST", "/reload", std::string(kMaxBodyBytes + 1, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(control.reloads, 0);
}

TEST_F(AdminServerTest, AnswersUnknownPathsAndMethodsInJson) {
  AdminReply missing = send("GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json(missing)["error"], "no such endpoint: /nope");
  AdminReply wrong = send("GET", "/reload");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(json(wrong)["error"], "GET is not allowed on /reload; use POST");
  EXPECT_EQ(send("POST", "/healthz", {}, "").status, 405);
  EXPECT_EQ(control.reloads, 0);
}

TEST_F(AdminServerTest, ServesMetricsAsPrometheusText) {
  AdminReply r = send("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("# TYPE gatehouse_http_requests_total counter\n"), std::string::npos);
  // This request and the ones before it in this test are counted.
  EXPECT_NE(r.body.find("gatehouse_admin_requests_total 1\n"), std::string::npos) << r.body;
}

// The endpoint switches the process's read-only state; each test leaves it off.
class ReadOnlyEndpointTest : public AdminServerTest {
 protected:
  ~ReadOnlyEndpointTest() override { gate::ReadOnlyState::process().set(false, "", std::nullopt); }
};

TEST_F(ReadOnlyEndpointTest, SwitchesTheModeAndSaysItIsNotSavedWithoutAStateFile) {
  AdminReply on = send("PUT", "/read-only", R"({"enabled": true, "reason": "db migration"})");
  ASSERT_EQ(on.status, 200) << on.body;
  auto j = json(on);
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["reason"], "db migration");
  EXPECT_EQ(j["changed"], true);
  EXPECT_EQ(j["persisted"], false);
  EXPECT_TRUE(j["state_file"].is_null());
  EXPECT_TRUE(gate::ReadOnlyState::process().enabled());
  auto status = json(send("GET", "/status"))["read_only"];
  EXPECT_EQ(status["enabled"], true);
  EXPECT_EQ(status["since"], j["since"]);
  AdminReply off = send("PUT", "/read-only", R"({"enabled": false})");
  EXPECT_EQ(json(off)["enabled"], false);
  EXPECT_FALSE(gate::ReadOnlyState::process().enabled());
}

TEST_F(ReadOnlyEndpointTest, RefusesBadBodiesAndChangesNothing) {
  for (std::string_view body : {R"({"enabled": true, "extra": 1})", R"({"enabled": 1})",
                                R"({"reason": "x"})", "[true]", "{"}) {
    AdminReply r = send("PUT", "/read-only", body);
    EXPECT_EQ(r.status, 400) << body;
  }
  EXPECT_EQ(json(send("PUT", "/read-only", R"({"enabled": true, "extra": 1})"))["error"],
            "unknown field \"extra\"");
  EXPECT_FALSE(gate::ReadOnlyState::process().enabled());
  EXPECT_EQ(send("PUT", "/read-only", R"({"enabled": true})", "wrong").status, 401);
  EXPECT_FALSE(gate::ReadOnlyState::process().enabled());
}

}  // namespace
}  // namespace gatehouse::admin
