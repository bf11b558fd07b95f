// Http2SessionMemory and Http2SessionPages: nghttp2's frame buffer takes a page-aligned slot, a
// freed slot is reused and reads as zeros (calloc), other sizes go to malloc, realloc keeps the
// bytes, and a whole nghttp2 session sends frames, keeps working after its idle pages were
// given back, and returns its slot when deleted.
#include "proxy/http/http2_session_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace gatehouse::http {
namespace {

constexpr size_t kFrameBuffer = 16394;  // NGHTTP2_FRAMEBUF_CHUNKLEN

TEST(Http2SessionMemory, TheFrameBufferTakesAPageAlignedSlotThatComesBackZeroed) {
  Http2SessionPages pages;
  nghttp2_mem* mem = pages.allocator();
  if (!mem) GTEST_SKIP() << "malloc only (ASan build)";
  Http2SessionMemory& memory = *Http2SessionMemory::forThisThread();
  const size_t in_use = memory.slotsInUse();
  void* p = mem->malloc(kFrameBuffer, mem->mem_user_data);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(memory.owns(p));
  EXPECT_EQ(pages.frameBuffer(), p);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 4096, 0u);
  EXPECT_EQ(memory.slotsInUse(), in_use + 1);
  std::memset(p, 0xab, kFrameBuffer);
  mem->free(p, mem->mem_user_data);
  EXPECT_EQ(memory.slotsInUse(), in_use);
  EXPECT_EQ(pages.frameBuffer(), nullptr);
  auto* q = static_cast<unsigned char*>(mem->calloc(1, kFrameBuffer, mem->mem_user_data));
  EXPECT_EQ(static_cast<void*>(q), p);  // the freed slot, reused
  for (size_t i = 0; i < kFrameBuffer; ++i)
    ASSERT_EQ(q[i], 0) << i;
  mem->free(q, mem->mem_user_data);
}

TEST(Http2SessionMemory, OtherSizesGoToMallocAndReallocKeepsTheBytes) {
  Http2SessionPages pages;
  nghttp2_mem* mem = pages.allocator();
  if (!mem) GTEST_SKIP() << "malloc only (ASan build)";
  Http2SessionMemory& memory = *Http2SessionMemory::forThisThread();
  for (size_t size : {size_t{1}, size_t{4096}, Http2SessionMemory::kMinSlotted,
                      Http2SessionMemory::kSlotBytes + 1, size_t{1} << 20}) {
    void* p = mem->malloc(size, mem->mem_user_data);
    EXPECT_FALSE(memory.owns(p)) << size;
    mem->free(p, mem->mem_user_data);
  }
  auto* slot = static_cast<char*>(mem->malloc(kFrameBuffer, mem->mem_user_data));
  std::memcpy(slot, "frame", 5);
  slot = static_cast<char*>(mem->realloc(slot, kFrameBuffer + 100, mem->mem_user_data));
  EXPECT_TRUE(memory.owns(slot));  // still fits its slot
  slot[kFrameBuffer + 99] = 'x';
  auto* bigger = static_cast<char*>(mem->realloc(slot, 64 * 1024, mem->mem_user_data));
  EXPECT_FALSE(memory.owns(bigger));
  EXPECT_EQ(pages.frameBuffer(), nullptr);
  EXPECT_EQ(std::memcmp(bigger, "frame", 5), 0);
  EXPECT_EQ(bigger[kFrameBuffer + 99], 'x');
  mem->free(bigger, mem->mem_user_data);
}

// One SETTINGS frame with one entry, serialized by the session: its bytes on the wire.
void expectSettingsFrame(nghttp2_session* session, uint32_t streams) {
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, streams}};
  ASSERT_EQ(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1), 0);
  const uint8_t* data = nullptr;
  ASSERT_EQ(nghttp2_session_mem_send(session, &data), 9 + 6);
  EXPECT_EQ(data[3], NGHTTP2_SETTINGS);
  EXPECT_EQ(data[14], streams);  // the value's low byte
  ASSERT_EQ(nghttp2_session_mem_send(session, &data), 0);
}

TEST(Http2SessionMemory, ASessionWorksAcrossReleasedIdlePagesAndGivesItsSlotBack) {
  Http2SessionPages pages;
  if (!pages.allocator()) GTEST_SKIP() << "malloc only (ASan build)";
  Http2SessionMemory& memory = *Http2SessionMemory::forThisThread();
  const size_t in_use = memory.slotsInUse();
  nghttp2_session_callbacks* callbacks = nullptr;
  ASSERT_EQ(nghttp2_session_callbacks_new(&callbacks), 0);
  nghttp2_session* session = nullptr;
  ASSERT_EQ(nghttp2_session_server_new3(&session, callbacks, nullptr, nullptr, pages.allocator()),
            0);
  nghttp2_session_callbacks_del(callbacks);
  EXPECT_EQ(memory.slotsInUse(), in_use + 1);  // the frame buffer
  EXPECT_NE(pages.frameBuffer(), nullptr);
  expectSettingsFrame(session, 100);
  pages.releaseIdlePages();  // idle: nothing in the buffer
  expectSettingsFrame(session, 7);
  nghttp2_session_del(session);
  EXPECT_EQ(memory.slotsInUse(), in_use);
}

}  // namespace
}  // namespace gatehouse::http
