#pragma once
// Content fingerprints of static files: the SHA-256 of a file's bytes (OpenSSL EVP), the hashed
// name it is served under, and the JSON manifest that maps plain names to hashed URLs.
//
// The hash in a URL is the first kHashDigits hex digits of the SHA-256. 16 digits are 64 bits:
// two versions of one file collide with probability about n^2 / 2^65, i.e. never for any real
// deploy history, while the URL stays short. The hash is never trusted: a hashed URL is served
// only when it names a version we hashed ourselves, so a collision could at worst serve another
// version of the same path, and no attacker chooses our files' contents.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace gatehouse::static_files {

inline constexpr size_t kHashDigits = 16;

// Reads `fd` from offset 0 to its end and returns the first kHashDigits hex digits of its
// SHA-256. With copy_to >= 0 every byte read is also written there (the version archive), so
// the copy holds exactly the bytes hashed even when the source changes underneath.
Result<std::string> hashFile(int fd, int copy_to = -1);
// Of bytes in memory (tests, the manifest's own ETag).
std::string hashBytes(std::string_view bytes);

// "css/app.css" + hash -> "css/app.<hash>.css"; "LICENSE" -> "LICENSE.<hash>".
std::string hashedName(std::string_view relative, std::string_view hash);

struct HashedName {
  std::string plain;  // "css/app.css"
  std::string hash;   // kHashDigits lowercase hex
};
// The inverse of hashedName(): nullopt when the last segment carries no hash.
std::optional<HashedName> parseHashedName(std::string_view relative);

// True for the files a versioned site fingerprints: not a dotfile (unless allowed), and not a
// precompressed sibling (name.br / name.gz next to name), which follows its plain file.
bool isVersionedFile(std::string_view relative, bool allow_dotfiles,
                     bool (*exists)(std::string_view relative_sibling, const void* ctx),
                     const void* ctx);

struct ScannedFile {
  std::string relative;
  std::string hash;
};
// Every regular file under `root` that isVersionedFile(), hashed, sorted by path. Symlinks to
// files are followed only when they stay under the root (or when allow_symlinks).
Result<std::vector<ScannedFile>> scanTree(const std::string& root, bool allow_dotfiles,
                                          bool allow_symlinks);

// {"css/app.css": "<url_prefix>css/app.<hash>.css", ...}, keys sorted, pretty-printed.
std::string manifestJson(const std::map<std::string, std::string>& plain_to_hash,
                         std::string_view url_prefix);

}  // namespace gatehouse::static_files
