#include "proxy/static_files/asset_versions.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "proxy/static_files/file_opener.h"

namespace gatehouse::static_files {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string hexPrefix(const unsigned char* digest, size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (size_t i = 0; out.size() < digits; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    if (out.size() < digits) out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

bool isLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

Result<std::string> hashFile(int fd, int copy_to) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return Error{"SHA-256 is not available"};
  char buf[64 * 1024];
  off_t offset = 0;
  while (true) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{fmt::format("read: {}", std::strerror(errno))};
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(n));
    if (copy_to >= 0 && !writeAll(copy_to, buf, static_cast<size_t>(n)))
      return Error{fmt::format("write of the copy: {}", std::strerror(errno))};
    offset += n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return hexPrefix(digest, kHashDigits);
}

std::string hashBytes(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return hexPrefix(digest, kHashDigits);
}

std::string hashedName(std::string_view relative, std::string_view hash) {
  size_t slash = relative.rfind('/');
  size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  size_t dot = relative.rfind('.');
  if (dot == std::string_view::npos || dot <= name_start)  // no extension (or a dotfile)
    return fmt::format("{}.{}", relative, hash);
  return fmt::format("{}.{}{}", relative.substr(0, dot), hash, relative.substr(dot));
}

std::optional<HashedName> parseHashedName(std::string_view relative) {
  size_t slash = relative.rfind('/');
  size_t name_start = slash == std::string_view::npos ? 0 : slash + 1;
  std::string_view name = relative.substr(name_start);
  std::string_view dir = relative.substr(0, name_start);
  // name.<hash>.ext
  size_t last_dot = name.rfind('.');
  if (last_dot != std::string_view::npos && last_dot > kHashDigits) {
    size_t hash_dot = last_dot - kHashDigits - 1;
    std::string_view hash = name.substr(hash_dot + 1, kHashDigits);
    if (name[hash_dot] == '.' && hash_dot > 0 && isLowerHex(hash))
      return HashedName{fmt::format("{}{}{}", dir, name.substr(0, hash_dot), name.substr(last_dot)),
                        std::string(hash)};
  }
  // name.<hash>
  if (last_dot != std::string_view::npos && last_dot > 0 &&
      name.size() - last_dot - 1 == kHashDigits && isLowerHex(name.substr(last_dot + 1)))
    return HashedName{fmt::format("{}{}", dir, name.substr(0, last_dot)),
                      std::string(name.substr(last_dot + 1))};
  return std::nullopt;
}

bool isVersionedFile(std::string_view relative, bool allow_dotfiles,
                     bool (*exists)(std::string_view, const void*), const void* ctx) {
  if (!allow_dotfiles) {
    size_t pos = 0;
    while (pos < relative.size()) {
      if (relative[pos] == '.') return false;
      size_t slash = relative.find('/', pos);
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
  }
  for (std::string_view ext : {".br", ".gz"}) {
    if (relative.ends_with(ext) && relative.size() > ext.size() &&
        exists(relative.substr(0, relative.size() - ext.size()), ctx))
      return false;
  }
  return true;
}

Result<std::vector<ScannedFile>> scanTree(const std::string& root, bool allow_dotfiles,
                                          bool allow_symlinks) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::set<std::string> files;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Error{fmt::format("{}: {}", root, ec.message())};
  for (; it != end; it.increment(ec)) {
    if (ec) return Error{fmt::format("{}: {}", root, ec.message())};
    const std::string name = it->path().filename().string();
    if (!allow_dotfiles && name.starts_with('.')) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    files.insert(it->path().lexically_relative(root).generic_string());
  }
  auto exists = [](std::string_view rel, const void* ctx) {
    return static_cast<const std::set<std::string>*>(ctx)->count(std::string(rel)) > 0;
  };
  std::vector<ScannedFile> out;
  for (const std::string& rel : files) {
    if (!isVersionedFile(rel, allow_dotfiles, exists, &files)) continue;
    OpenedFile f = openBeneath(root, rel, allow_symlinks);
    if (f.outcome != OpenOutcome::Opened || !S_ISREG(f.st.st_mode)) continue;
    auto hash = hashFile(f.fd.get());
    if (!hash) return Error{fmt::format("{}/{}: {}", root, rel, hash.error().message)};
    out.push_back({rel, std::move(*hash)});
  }
  return out;
}

std::string manifestJson(const std::map<std::string, std::string>& plain_to_hash,
                         std::string_view url_prefix) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  for (const auto& [plain, hash] : plain_to_hash)
    doc[plain] = fmt::format("{}{}", url_prefix, hashedName(plain, hash));
  return doc.dump(2) + "\n";
}

}  // namespace gatehouse::static_files
