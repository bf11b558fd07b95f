#pragma once
// The open streams of one HTTP/2 connection, by id. A client's new stream ids only grow (RFC
// 9113 §5.1.1), so the table is a vector kept in id order, a new stream going at its end, and
// its capacity stays: opening and closing a stream allocates nothing, where a std::map allocated
// a node per stream and rebalanced the tree on each erase (~500 instructions a request).

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace gatehouse::http {

class Http2Stream;

class Http2StreamTable {
 public:
  using Entry = std::pair<int32_t, std::unique_ptr<Http2Stream>>;

  Http2StreamTable();
  ~Http2StreamTable();
  Http2StreamTable(const Http2StreamTable&) = delete;
  Http2StreamTable& operator=(const Http2StreamTable&) = delete;

  Http2Stream* find(int32_t id) const;
  void add(int32_t id, std::unique_ptr<Http2Stream> stream);
  // Takes the stream out of the table; null if it is not there.
  std::unique_ptr<Http2Stream> take(int32_t id);
  // Takes every stream out, in id order.
  std::vector<Entry> takeAll();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry>::const_iterator lowerBound(int32_t id) const;

  std::vector<Entry> entries_;
};

}  // namespace gatehouse::http
