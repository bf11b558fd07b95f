#include "config/yaml_syntax.h"

#include <fmt/format.h>

namespace gatehouse::config {
namespace {

struct Plain {
  std::string_view yaml_cpp;  // the message, or its start for those with a suffix
  std::string_view words;
};

// yaml-cpp 0.7's ErrorMsg texts (yaml-cpp/exceptions.h) that a hand-edited config meets.
constexpr Plain kPlain[] = {
    {"end of map flow not found", "a { ... } map is not closed: a '}' is missing"},
    {"end of sequence flow not found", "a [ ... ] list is not closed: a ']' is missing"},
    {"end of map not found",
     "a key is indented differently from the keys beside it (or a { ... } is not closed)"},
    {"end of sequence not found", "a list item is indented differently from the items beside it"},
    {"illegal map value",
     "a ':' where no key can start: quote a value that contains \": \", or put the key on its "
     "own line"},
    {"illegal block entry",
     "a '- ' list item where a value was expected: start the list on the next line, indented"},
    {"illegal map key", "a key where none can start: check the indentation of this line"},
    {"illegal flow end", "a '}' or ']' that closes nothing"},
    {"unknown escape character",
     "an unknown \\ escape in a double-quoted string: use single quotes, or write \\\\"},
    {"illegal EOF in scalar", "a quoted string is not closed before the end of the file"},
    {"illegal character in scalar", "a character that is not allowed here: quote the value"},
    {"tab", "a tab in the indentation: YAML indents with spaces only"},
    {"unknown token", "text YAML cannot read here: quote the value"},
    {"alias not found after *", "a '*' must be followed by an anchor name: quote the value"},
    {"anchor not found after &", "a '&' must be followed by an anchor name: quote the value"},
    {"the referenced anchor is not defined", "a *alias names an &anchor defined nowhere above"},
};

}  // namespace

std::string plainYamlError(std::string_view message) {
  for (const Plain& p : kPlain) {
    if (message.starts_with(p.yaml_cpp) ||
        (p.yaml_cpp == "tab" && message.find("tab") != std::string_view::npos))
      return fmt::format("YAML syntax: {}", p.words);
  }
  return fmt::format("YAML syntax error: {}", message);
}

}  // namespace gatehouse::config
