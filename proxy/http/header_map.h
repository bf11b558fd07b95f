#pragma once
// An ordered list of header fields that owns its strings. Lookups are case-insensitive; order
// and duplicates are kept because a proxy must forward what it was given.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

struct Header {
  std::string name;
  std::string value;
};

class HeaderMap {
 public:
  void add(std::string_view name, std::string_view value) {
    fields_.push_back({std::string(name), std::string(value)});
  }
  // Replaces every field of that name by one.
  void set(std::string_view name, std::string_view value);
  // Removes every field of that name; returns how many were removed.
  size_t remove(std::string_view name);
  // The first value of that name, or empty.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  // True if a comma-separated field of that name holds the token (case-insensitive).
  bool hasToken(std::string_view name, std::string_view token) const;

  template <typename Pred>
  void removeIf(Pred pred) {
    std::erase_if(fields_, pred);
  }

  // No fields; the list keeps its capacity.
  void clear() { fields_.clear(); }
  // Replaces every field by those of `fields` (each with .name and .value), in order, writing
  // over the strings already held so that their capacity is reused: a connection's next
  // request head with the same fields allocates nothing.
  template <typename Fields>
  void assign(const Fields& fields) {
    size_t n = 0;
    for (const auto& f : fields) {
      if (n < fields_.size()) {
        fields_[n].name.assign(f.name);
        fields_[n].value.assign(f.value);
      } else {
        fields_.push_back({std::string(f.name), std::string(f.value)});
      }
      ++n;
    }
    fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(n), fields_.end());
  }

  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void reserve(size_t n) { fields_.reserve(n); }
  // The heap the map holds: its list's room and its strings' (a pool bounds what it keeps).
  size_t heapBytes() const {
    size_t bytes = fields_.capacity() * sizeof(Header);
    for (const Header& h : fields_)
      bytes += h.name.capacity() + h.value.capacity();
    return bytes;
  }

 private:
  std::vector<Header> fields_;
};

}  // namespace gatehouse::http
