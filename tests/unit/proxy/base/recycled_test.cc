#include "proxy/base/recycled.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

namespace gatehouse {
namespace {

struct Request final : Recycled<Request, 2> {
  explicit Request(std::string name) : name(std::move(name)) {}
  std::string name;
  int state = 0;
};

// A class derived from a recycled one has another size: it gets plain memory.
struct Base : Recycled<Base, 2> {
  virtual ~Base() = default;
  int x = 0;
};
struct Bigger final : Base {
  char more[64] = {};
};

// Each test starts with no kept block.
template <typename T>
void drain() {
  T::freeKeptOnThisThread();
  ASSERT_EQ(T::keptOnThisThread(), 0u);
}

TEST(Recycled, TheMemoryOfAFreedObjectServesTheNextAndEachIsBuiltAnew) {
  drain<Request>();
  auto a = std::make_unique<Request>("a");
  a->state = 7;
  const void* memory = a.get();
  a.reset();
  EXPECT_EQ(Request::keptOnThisThread(), 1u);
  auto b = std::make_unique<Request>("b");
  EXPECT_EQ(static_cast<const void*>(b.get()), memory);
  EXPECT_EQ(b->name, "b");
  EXPECT_EQ(b->state, 0) << "constructed anew: nothing of the last one";
  EXPECT_EQ(Request::keptOnThisThread(), 0u);
}

TEST(Recycled, KeepsAtMostItsBoundAndOnlyBlocksOfItsSize) {
  drain<Request>();
  drain<Base>();
  {
    auto a = std::make_unique<Request>("a");
    auto b = std::make_unique<Request>("b");
    auto c = std::make_unique<Request>("c");
  }
  EXPECT_EQ(Request::keptOnThisThread(), 2u) << "the third went back to the allocator";
  std::unique_ptr<Base> bigger = std::make_unique<Bigger>();
  bigger.reset();
  EXPECT_EQ(Base::keptOnThisThread(), 0u);
  std::unique_ptr<Base> base = std::make_unique<Base>();
  base.reset();
  EXPECT_EQ(Base::keptOnThisThread(), 1u);
}

// A worker torn down from the main thread frees objects another thread made: the block joins
// the freeing thread's list, and serves that thread next.
TEST(Recycled, ABlockFreedOnAnotherThreadJoinsThatThreadsList) {
  drain<Request>();
  std::unique_ptr<Request> made_there;
  std::thread([&] { made_there = std::make_unique<Request>("there"); }).join();
  const void* memory = made_there.get();
  made_there.reset();
  EXPECT_EQ(Request::keptOnThisThread(), 1u);
  auto here = std::make_unique<Request>("here");
  EXPECT_EQ(static_cast<const void*>(here.get()), memory);
}

// At thread exit the thread's list gives its blocks back (LeakSanitizer would report them),
// and an object freed later in the exit (by another thread_local made before the list) goes
// straight to the allocator rather than to the list that is gone.
TEST(Recycled, AtThreadExitTheListIsFreedAndLaterFreesBypassIt) {
  bool freed_after_list = false;
  size_t kept_then = 99;
  std::thread([&] {
    struct LateOwner {
      std::unique_ptr<Request> request;
      bool* freed_after_list;
      size_t* kept_then;
      ~LateOwner() {
        *kept_then = Request::keptOnThisThread();  // 0: the list is gone
        request.reset();
        *freed_after_list = true;
      }
    };
    // Made before the list (thread_locals go in reverse order): destroyed after it.
    thread_local LateOwner owner{nullptr, &freed_after_list, &kept_then};
    { auto kept = std::make_unique<Request>("kept"); }  // makes the list, one block in it
    EXPECT_EQ(Request::keptOnThisThread(), 1u);
    owner.request = std::make_unique<Request>("late");
  }).join();
  EXPECT_TRUE(freed_after_list);
  EXPECT_EQ(kept_then, 0u);
}

}  // namespace
}  // namespace gatehouse
