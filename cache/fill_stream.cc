#include "cache/fill_stream.h"

#include <algorithm>
#include <cstring>

namespace gatehouse::cache {
namespace {

constexpr uint64_t kFirstChunkedCapacity = 16 * 1024;

}  // namespace

FillStream::FillStream(std::shared_ptr<const CachedObject> head,
                       std::optional<uint64_t> content_length)
    : head_(std::move(head)), content_length_(content_length), body_(std::make_shared<Body>()) {
  if (content_length_) body_->reserve(*content_length_);
  data_ = body_->data();
}

char* FillStream::prepare(uint64_t n) {
  // Only the writer changes the buffer, so reading body_ here needs no lock; replacing it does
  // (readers copy the pointer under the lock).
  const uint64_t need = published_ + n;
  if (need > body_->capacity()) {
    auto grown = std::make_shared<Body>();
    grown->reserve(std::max<uint64_t>({need, 2 * body_->capacity(), kFirstChunkedCapacity}));
    grown->assign(body_->begin(), body_->end());
    std::lock_guard lock(mu_);
    body_ = std::move(grown);
    data_ = body_->data();
  }
  // Within capacity: the bytes already published do not move, and readers only read those.
  body_->resize(need);
  return body_->data() + published_;
}

void FillStream::commit(uint64_t n) {
  {
    std::lock_guard lock(mu_);
    published_ += n;
  }
  notifyAll();
}

void FillStream::finish(State end) {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::Open) return;
    state_ = end;
    body_->resize(published_);  // prepared but never committed: not part of the body
  }
  notifyAll();
  std::lock_guard lock(mu_);
  subscribers_.clear();  // nothing more to tell them; frees what their callbacks hold
}

std::shared_ptr<const Body> FillStream::completedBody() {
  std::lock_guard lock(mu_);
  if (body_->capacity() == body_->size()) return body_;
  return std::make_shared<const Body>(body_->begin(), body_->end());
}

FillStream::View FillStream::view() const {
  std::lock_guard lock(mu_);
  return View{body_, data_, published_, state_};
}

uint64_t FillStream::subscribe(std::function<void()> notify) {
  std::unique_lock lock(mu_);
  const uint64_t id = next_id_++;
  if (state_ != State::Open) {
    lock.unlock();
    notify();
    return id;
  }
  subscribers_.emplace_back(id, std::make_shared<const std::function<void()>>(std::move(notify)));
  return id;
}

void FillStream::unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [id](const auto& s) { return s.first == id; });
}

void FillStream::notifyAll() {
  // Copied out so that no callback runs under the lock (one may unsubscribe).
  std::vector<std::shared_ptr<const std::function<void()>>> calls;
  {
    std::lock_guard lock(mu_);
    calls.reserve(subscribers_.size());
    for (const auto& s : subscribers_)
      calls.push_back(s.second);
  }
  for (const auto& call : calls)
    (*call)();
}

}  // namespace gatehouse::cache
