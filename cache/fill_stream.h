#pragma once
// The body of a fill as it arrives from the origin, shared with the coalesced misses that wait
// for it, so that they get each byte as it comes instead of after the fill (Varnish's streaming,
// Pingora's cache lock). One writer (the filler, on its thread), readers on any thread.
//
// Memory: the bytes are the ones the fill stores anyway, never copied per reader (a reader sends
// them by reference, holding `View::owner`), so a stream costs its body once, bounded by
// cache.max_object (a fill that outgrows it fails, and so does its stream). A body whose length
// the head gave is reserved at once and never moves; one of unknown length grows by doubling
// into a new buffer, the old one living on while a reader still sends from it.
//
// Readers never slow the writer: commit() only publishes a length and calls the subscribers'
// `notify`, which must return at once (hop to the reader's loop, coalescing wake-ups); each
// reader then takes view() at its own pace.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "cache/cached_object.h"

namespace gatehouse::cache {

class FillStream {
 public:
  enum class State {
    Open,      // more may come
    Complete,  // every byte is there
    Failed,    // cut short: a reader that started must end its response as truncated
  };
  struct View {
    std::shared_ptr<const Body> owner;  // keeps `data` valid while it is sent
    const char* data = nullptr;
    uint64_t length = 0;  // bytes published so far
    State state = State::Open;
  };

  // `head`: the stored response being filled (status, fields, freshness; its body is not the
  // stream's business). `content_length`: the body's length when the head gave it.
  FillStream(std::shared_ptr<const CachedObject> head, std::optional<uint64_t> content_length);
  FillStream(const FillStream&) = delete;
  FillStream& operator=(const FillStream&) = delete;

  const CachedObject& head() const { return *head_; }
  std::optional<uint64_t> contentLength() const { return content_length_; }

  // The writer. prepare(n) returns room for n bytes past those published, to be filled and then
  // published by commit(n); finish() ends the stream (once).
  char* prepare(uint64_t n);
  void commit(uint64_t n);
  void finish(State end);
  // The whole body once Complete, exactly its size: the buffer itself when it is (the usual case
  // with a Content-Length), else a copy (the stream's buffer may still be read from).
  std::shared_ptr<const Body> completedBody();

  // A reader.
  View view() const;
  // `notify` is called after each commit and at the end (on the writer's thread, without the
  // lock), and at once if the stream has already ended; it must not block.
  uint64_t subscribe(std::function<void()> notify);
  void unsubscribe(uint64_t id);

 private:
  void notifyAll();

  const std::shared_ptr<const CachedObject> head_;
  const std::optional<uint64_t> content_length_;
  mutable std::mutex mu_;
  std::shared_ptr<Body> body_;  // resized by the writer only within its capacity once published
  const char* data_ = nullptr;  // body_'s bytes, for readers (who never touch the vector itself)
  uint64_t published_ = 0;
  State state_ = State::Open;
  std::vector<std::pair<uint64_t, std::shared_ptr<const std::function<void()>>>> subscribers_;
  uint64_t next_id_ = 1;
};

}  // namespace gatehouse::cache
