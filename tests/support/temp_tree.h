#pragma once
// A temporary folder for tests that need files (static sites), removed with the object.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gatehouse::testing {

class TempTree {
 public:
  TempTree() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "gatehouse-static-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& path() const { return path_; }
  std::string at(std::string_view rel) const { return path_ + "/" + std::string(rel); }

  // Writes `data` to rel, creating folders on the way.
  void write(std::string_view rel, std::string_view data) const {
    std::filesystem::create_directories(std::filesystem::path(at(rel)).parent_path());
    std::ofstream(at(rel), std::ios::binary | std::ios::trunc) << data;
  }
  std::string read(std::string_view rel) const {
    std::ifstream in(at(rel), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string path_;
};

}  // namespace gatehouse::testing
