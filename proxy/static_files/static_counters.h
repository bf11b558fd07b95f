#pragma once
// Every decision the static file server makes, counted once per request, declared once with its
// help text (STYLE.md habit 6). Process-wide atomics: workers bump them relaxed, /metrics reads
// them as gatehouse_static_decisions_total{decision="..."}; they survive reloads.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::static_files {

// X(id, label, help)
#define GATEHOUSE_STATIC_DECISIONS(X)                                                      \
  X(Served, "served", "200 with the whole file")                                           \
  X(ServedHashed, "served_hashed", "200 for a hashed (immutable) URL")                     \
  X(ServedOldVersion, "served_old_version", "a hashed URL served from a kept old version") \
  X(ServedPrecompressed, "served_precompressed", "a .br or .gz sibling served")            \
  X(NotModified, "not_modified", "304 from If-None-Match or If-Modified-Since")            \
  X(Partial, "partial", "206 for a single byte range")                                     \
  X(RangeNotSatisfiable, "range_not_satisfiable", "416 for a range past the end")          \
  X(MultiRangeAsWhole, "multi_range_as_whole", "several satisfiable ranges, 200 with all") \
  X(Head, "head", "answers to HEAD")                                                       \
  X(Manifest, "manifest", "the JSON manifest served")                                      \
  X(NotFound, "not_found", "404: no such file, or a folder without index")                 \
  X(FolderRedirect, "folder_redirect", "301 from a folder to its URL with '/'")            \
  X(UnknownHash, "unknown_hash", "404: a hashed URL whose hash is no known version")       \
  X(MethodNotAllowed, "method_not_allowed", "405: not GET or HEAD")                        \
  X(RefusedTraversal, "refused_traversal", "400: a . or .. segment, decoded or not")       \
  X(RefusedEncodedSlash, "refused_encoded_slash", "400: %2F or %5C in the path")           \
  X(RefusedBackslash, "refused_backslash", "400: a backslash in the path")                 \
  X(RefusedNul, "refused_nul", "400: %00 or a control character in the path")              \
  X(RefusedBadEncoding, "refused_bad_encoding",                                            \
    "400: a bad or double percent-encoding (%25), or invalid/overlong UTF-8")              \
  X(RefusedDotfile, "refused_dotfile", "404: a segment starting with '.'")                 \
  X(RefusedSymlink, "refused_symlink", "404: a symlink leading out of the root")           \
  X(OpenFileCacheHit, "open_file_cache_hit", "a request served from an already open file") \
  X(OpenFileCacheMiss, "open_file_cache_miss", "a request that opened the file")           \
  X(ReadError, "read_error", "a read of an open file failed: the response was aborted")

// How a response's body left, one count per response with a body
// (gatehouse_static_bodies_total{path="..."}). X(id, label, help)
#define GATEHOUSE_STATIC_BODY_PATHS(X)                                                    \
  X(Sendfile, "sendfile", "sendfile(2) on a plain connection: no byte in user space")     \
  X(KtlsSendfile, "ktls_sendfile", "sendfile(2) on a TLS connection the kernel encrypts") \
  X(Userspace, "userspace", "pread into memory, then SSL_write or HTTP/2 DATA frames")    \
  X(Memory, "memory", "a small file's bytes held by the open-file cache")

struct DecisionInfo {
  std::string_view label;
  std::string_view help;
};

#define GATEHOUSE_STATIC_ID(id, label, help) id,
#define GATEHOUSE_STATIC_INFO(id, label, help) {label, help},
enum class Decision : size_t { GATEHOUSE_STATIC_DECISIONS(GATEHOUSE_STATIC_ID) };
inline constexpr DecisionInfo kDecisionTable[] = {
    GATEHOUSE_STATIC_DECISIONS(GATEHOUSE_STATIC_INFO)};
enum class BodyPath : size_t { GATEHOUSE_STATIC_BODY_PATHS(GATEHOUSE_STATIC_ID) };
inline constexpr DecisionInfo kBodyPathTable[] = {
    GATEHOUSE_STATIC_BODY_PATHS(GATEHOUSE_STATIC_INFO)};
#undef GATEHOUSE_STATIC_ID
#undef GATEHOUSE_STATIC_INFO
inline constexpr size_t kDecisionCount = std::size(kDecisionTable);
inline constexpr size_t kBodyPathCount = std::size(kBodyPathTable);

// The process's counters.
std::array<std::atomic<uint64_t>, kDecisionCount>& decisionCounters();
std::array<std::atomic<uint64_t>, kBodyPathCount>& bodyPathCounters();

inline void count(Decision d) {
  decisionCounters()[static_cast<size_t>(d)].fetch_add(1, std::memory_order_relaxed);
}
inline uint64_t countOf(Decision d) {
  return decisionCounters()[static_cast<size_t>(d)].load(std::memory_order_relaxed);
}
inline void count(BodyPath p) {
  bodyPathCounters()[static_cast<size_t>(p)].fetch_add(1, std::memory_order_relaxed);
}
inline uint64_t countOf(BodyPath p) {
  return bodyPathCounters()[static_cast<size_t>(p)].load(std::memory_order_relaxed);
}

}  // namespace gatehouse::static_files
