#include "proxy/http/http2_stream_table.h"

#include <algorithm>

#include "proxy/http/http2_stream.h"

namespace gatehouse::http {

Http2StreamTable::Http2StreamTable() = default;
Http2StreamTable::~Http2StreamTable() = default;

std::vector<Http2StreamTable::Entry>::const_iterator Http2StreamTable::lowerBound(
    int32_t id) const {
  return std::lower_bound(entries_.begin(), entries_.end(), id,
                          [](const Entry& e, int32_t want) { return e.first < want; });
}

Http2Stream* Http2StreamTable::find(int32_t id) const {
  auto it = lowerBound(id);
  return it != entries_.end() && it->first == id ? it->second.get() : nullptr;
}

void Http2StreamTable::add(int32_t id, std::unique_ptr<Http2Stream> stream) {
  if (entries_.empty() || entries_.back().first < id) {
    entries_.emplace_back(id, std::move(stream));
    return;
  }
  // Not a new client stream (nghttp2 refuses ids that do not grow): kept in order all the same.
  auto at = lowerBound(id);
  if (at != entries_.end() && at->first == id) return;
  entries_.emplace(at, id, std::move(stream));
}

std::unique_ptr<Http2Stream> Http2StreamTable::take(int32_t id) {
  auto it = lowerBound(id);
  if (it == entries_.end() || it->first != id) return nullptr;
  const auto at = entries_.begin() + (it - entries_.cbegin());
  std::unique_ptr<Http2Stream> stream = std::move(at->second);
  entries_.erase(at);
  return stream;
}

std::vector<Http2StreamTable::Entry> Http2StreamTable::takeAll() {
  std::vector<Entry> all;
  all.swap(entries_);
  return all;
}

}  // namespace gatehouse::http
