#pragma once
// yaml-cpp's syntax error messages ("end of map not found", "illegal map value") in words an
// operator acts on. Internal to config/.

#include <string>
#include <string_view>

namespace gatehouse::config {

// The plain-words reason for a yaml-cpp ParserException message; an unknown message is kept
// as it is, after "YAML syntax error: ".
std::string plainYamlError(std::string_view yaml_cpp_message);

}  // namespace gatehouse::config
