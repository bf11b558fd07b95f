// Router: exact paths, `:name` parameters, 404 and 405 with Allow, HEAD served by GET.
#include "admin-api/router.h"

#include <gtest/gtest.h>

#include "fake_process_control.h"

namespace gatehouse::admin {
namespace {

using Kind = Router::Lookup::Kind;

AdminResponse named(std::string name) {
  AdminResponse r;
  r.body = std::move(name);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    auto endpoint = [](std::string name) {
      return [name](const AdminRequest&, AdminContext&) { return named(name); };
    };
    router.add("GET", "/healthz", Access::Public, endpoint("healthz"));
    router.add("GET", "/status", Access::Token, endpoint("status"));
    router.add("POST", "/reload", Access::Token, endpoint("reload"));
    router.add("GET", "/backends/:pool/:server", Access::Token, endpoint("server"));
    router.add("PUT", "/backends/:pool/:server", Access::Token, endpoint("set-server"));
  }

  // The body of the endpoint found, or "" when none.
  std::string call(const Router::Lookup& lookup) {
    if (!lookup.endpoint) return "";
    testing::FakeProcessControl control;
    AdminCounters counters;
    AdminContext context{control, counters};
    return (*lookup.endpoint)(AdminRequest{}, context).body;
  }

  Router router;
};

TEST_F(RouterTest, FindsExactPaths) {
  auto l = router.find("GET", "/status");
  EXPECT_EQ(l.kind, Kind::Found);
  EXPECT_EQ(l.access, Access::Token);
  EXPECT_EQ(call(l), "status");
  EXPECT_EQ(router.find("GET", "/healthz").access, Access::Public);
}

TEST_F(RouterTest, FillsParameters) {
  auto l = router.find("PUT", "/backends/app/app1");
  ASSERT_EQ(l.kind, Kind::Found);
  EXPECT_EQ(call(l), "set-server");
  ASSERT_EQ(l.params.size(), 2u);
  EXPECT_EQ(l.params[0], (std::pair<std::string, std::string>{"pool", "app"}));
  EXPECT_EQ(l.params[1], (std::pair<std::string, std::string>{"server", "app1"}));
  EXPECT_EQ(router.find("GET", "/backends/app/").kind, Kind::NotFound);
  EXPECT_EQ(router.find("GET", "/backends/app").kind, Kind::NotFound);
}

TEST_F(RouterTest, AnswersUnknownPathsWithNotFoundBehindTheToken) {
  for (std::string_view path : {"/", "/nope", "/status/", "//status", "/healthz/x", "status", ""}) {
    auto l = router.find("GET", path);
    EXPECT_EQ(l.kind, Kind::NotFound) << path;
    EXPECT_EQ(l.access, Access::Token) << path;
    EXPECT_EQ(l.endpoint, nullptr);
  }
}

TEST_F(RouterTest, AnswersWrongMethodsWithTheAllowedOnes) {
  auto l = router.find("POST", "/status");
  EXPECT_EQ(l.kind, Kind::MethodNotAllowed);
  EXPECT_EQ(l.allow, "GET, HEAD");
  EXPECT_EQ(l.access, Access::Token);
  EXPECT_EQ(router.find("GET", "/reload").allow, "POST");
  EXPECT_EQ(router.find("DELETE", "/backends/a/b").allow, "GET, HEAD, PUT");
  // Only public routes at this path: no token needed to learn the method is wrong.
  auto h = router.find("POST", "/healthz");
  EXPECT_EQ(h.kind, Kind::MethodNotAllowed);
  EXPECT_EQ(h.access, Access::Public);
}

TEST_F(RouterTest, ServesHeadWithTheGetRoute) {
  auto l = router.find("HEAD", "/status");
  EXPECT_EQ(l.kind, Kind::Found);
  EXPECT_EQ(call(l), "status");
  EXPECT_EQ(router.find("HEAD", "/reload").kind, Kind::MethodNotAllowed);
}

TEST_F(RouterTest, IsCaseSensitiveLikeHttpMethodsAndPaths) {
  EXPECT_EQ(router.find("get", "/status").kind, Kind::MethodNotAllowed);
  EXPECT_EQ(router.find("GET", "/Status").kind, Kind::NotFound);
}

}  // namespace
}  // namespace gatehouse::admin
