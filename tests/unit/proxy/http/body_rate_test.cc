// BodyRate: the verdicts window by window (issue 14, defect 12: a body sent at 1 byte/s was
// accepted for as long as the client liked).
#include "proxy/http/body_rate.h"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

using Verdict = BodyRate::Verdict;

constexpr BodyRateLimit kTenSecondsOneKiB{Duration(10000), 1024};

TEST(BodyRate, TheFirstWindowOnlyWaitsForTheFirstByte) {
  BodyRate rate(kTenSecondsOneKiB);
  rate.start();
  EXPECT_EQ(rate.windowEnded(), Verdict::NoFirstByte);
  rate.start();
  rate.add(1);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue) << "a late start is not judged on its rate";
}

TEST(BodyRate, OneBytePerSecondIsCutInTheSecondWindow) {
  BodyRate rate(kTenSecondsOneKiB);
  rate.start();
  rate.add(10);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.add(10);
  EXPECT_EQ(rate.windowEnded(), Verdict::TooSlow);
}

TEST(BodyRate, EachLaterWindowNeedsTheMinimumRateTimesTheWindow) {
  BodyRate rate(kTenSecondsOneKiB);
  EXPECT_EQ(rate.minimumPerWindow(), 10240u);
  rate.start();
  rate.add(1);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.add(10240);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.add(10239);
  EXPECT_EQ(rate.windowEnded(), Verdict::TooSlow);
}

TEST(BodyRate, AResumeStartsAFreshWindow) {
  BodyRate rate(kTenSecondsOneKiB);
  rate.start();
  rate.add(5000);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.add(100);  // then the handler paused: the window stopped with the timer
  rate.resume();
  rate.add(10240);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
}

TEST(BodyRate, ARateOfZeroStillNeedsProgressInEveryWindow) {
  BodyRate rate(BodyRateLimit{Duration(300), 0});
  rate.start();
  rate.add(1);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.add(1);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  EXPECT_EQ(rate.windowEnded(), Verdict::TooSlow);
}

TEST(BodyRate, StartForgetsThePreviousBody) {
  BodyRate rate(kTenSecondsOneKiB);
  rate.start();
  rate.add(1);
  EXPECT_EQ(rate.windowEnded(), Verdict::Continue);
  rate.start();
  EXPECT_EQ(rate.windowEnded(), Verdict::NoFirstByte);
}

}  // namespace
}  // namespace gatehouse::http
