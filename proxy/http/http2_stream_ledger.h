#pragma once
// How each recent stream of a connection ended, for the RFC 9113 §5.1 rules on closed streams
// that nghttp2 cannot apply once it has forgotten a stream (with RFC 7540 priorities off it keeps
// no closed streams): frames after the client's own RST_STREAM are a stream error, frames after
// both sides ended a connection error, frames after our RST_STREAM are ignored (the client may
// have sent them before it saw it), and a HEADERS on a lower stream id never used is a
// connection error (§5.1.1).
//
// Stream ids only grow, so entries are kept sorted by id in a small vector (a new stream is an
// append); past `capacity` the lowest ended ones are dropped, an eighth of the capacity at once,
// and ids below them are no longer judged (the RFC lets an endpoint limit how long it remembers).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

namespace gatehouse::http {

class Http2StreamLedger {
 public:
  enum class State : uint8_t { Unknown, NeverOpened, Open, ResetByPeer, ResetByUs, Completed };

  explicit Http2StreamLedger(size_t capacity) : capacity_(capacity) {}

  void opened(int32_t id) { entry(id) = State::Open; }
  // The first end recorded wins: a stream reset and then closed stays reset.
  void ended(int32_t id, State how) {
    State& state = entry(id);
    if (state == State::Open) state = how;
  }

  // What is known of a client stream id (odd) that nghttp2 no longer has.
  State lookup(int32_t id) const {
    if (id > highest_ || id < remembered_from_) return State::Unknown;
    auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                               [](const auto& e, int32_t v) { return e.first < v; });
    return it != entries_.end() && it->first == id ? it->second : State::NeverOpened;
  }
  size_t remembered() const { return entries_.size(); }

 private:
  State& entry(int32_t id) {
    // The common cases without a binary search: a new stream (ids only grow, an append), and
    // one of the last few (a stream ends soon after those opened after it).
    auto it = entries_.end();
    for (int n = 0; n < 8 && it != entries_.begin() && std::prev(it)->first >= id; ++n)
      --it;
    if (it != entries_.begin() && std::prev(it)->first >= id)  // further back: search
      it = std::lower_bound(entries_.begin(), it, id,
                            [](const auto& e, int32_t v) { return e.first < v; });
    if (it == entries_.end() || it->first != id) {
      highest_ = std::max(highest_, id);
      it = entries_.insert(it, {id, State::Open});
      if (entries_.size() > capacity_) return forgetOldest(id);
    }
    return it->second;
  }
  // Drops the lowest ended entries (open ones stay), a batch at a time: one pass over the vector
  // pays for capacity/8 streams, not one (an erase at the front moved every entry per stream).
  // Ids below the highest one dropped are forgotten.
  State& forgetOldest(int32_t keep) {
    size_t budget = std::max<size_t>(1, capacity_ / 8);
    auto out = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (budget > 0 && it->second != State::Open && it->first != keep) {
        remembered_from_ = std::max(remembered_from_, it->first + 1);
        --budget;
        continue;
      }
      *out++ = *it;
    }
    entries_.erase(out, entries_.end());
    return std::lower_bound(entries_.begin(), entries_.end(), keep,
                            [](const auto& e, int32_t v) { return e.first < v; })
        ->second;
  }

  size_t capacity_;
  std::vector<std::pair<int32_t, State>> entries_;
  int32_t highest_ = 0;          // the highest client stream id recorded
  int32_t remembered_from_ = 1;  // ids below this are no longer judged
};

}  // namespace gatehouse::http
