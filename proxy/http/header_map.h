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

  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  void reserve(size_t n) { fields_.reserve(n); }

 private:
  std::vector<Header> fields_;
};

}  // namespace gatehouse::http
