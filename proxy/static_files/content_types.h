#pragma once
// File extension -> Content-Type: a built-in table of the types a web site serves, which the
// operator's `types:` entries override or extend. Unknown extensions are
// application/octet-stream (the browser downloads rather than guesses, with nosniff).

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gatehouse::static_files {

class ContentTypes {
 public:
  static constexpr std::string_view kDefault = "application/octet-stream";

  // `overrides`: lowercase extension without the dot -> media type.
  explicit ContentTypes(const std::vector<std::pair<std::string, std::string>>& overrides = {});

  // The type of `file_name` by its last extension, compared case-insensitively.
  std::string_view lookup(std::string_view file_name) const;

 private:
  std::unordered_map<std::string, std::string> types_;
};

}  // namespace gatehouse::static_files
