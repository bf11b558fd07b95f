#include "proxy/base/recycled.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

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

// Gives this thread's kept blocks of T back to the allocator: each test starts with none.
template <typename T>
void drain() {
  while (T::keptOnThisThread() > 0)
    ::operator delete(T::operator new(sizeof(T)));
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

}  // namespace
}  // namespace gatehouse
