#pragma once
// One piece of shared state as it travels through Redis, and the rule that picks between two
// versions of it: last writer wins. Pure (no Redis, no process state), so the rule is tested on
// its own (tests/unit/admin-api/cluster/cluster_record_test.cc).
//
// A record is the JSON {"v": VERSION, "by": INSTANCE, "d": DATA} stored under its key (a field of
// the site's state hash: "read_only", "server/POOL/SERVER", "pool/POOL"). VERSION is a hybrid
// clock: the wall clock in milliseconds, but always above every version this instance has seen,
// so that a change made here beats whatever it last applied even if its clock lags. Equal
// versions (two instances in the same millisecond) are ordered by instance name, so every
// instance picks the same winner.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::cluster {

struct Record {
  std::string key;  // the hash field; not part of the encoded JSON
  uint64_t version = 0;
  std::string by;  // the instance that made the change
  nlohmann::json data;

  // True when this record should replace `other` (of the same key).
  bool supersedes(const Record& other) const {
    return version != other.version ? version > other.version : by > other.by;
  }
};

std::string encode(const Record& record);
// The record stored under `key`, or nullopt for anything that is not one (logged by callers).
std::optional<Record> decode(std::string_view key, std::string_view text);

// What a record received from Redis means for this instance.
enum class Merge {
  Apply,  // newer than what this instance holds (or the first of its key): apply it
  Same,   // the version this instance holds (its own change coming back): nothing to do
  Stale,  // older than what this instance holds: keep ours (and push ours when connected)
};

// The versions of every key this instance knows, and its clock.
class StateBook {
 public:
  // Decides on `incoming` and, when it is to be applied, remembers it.
  Merge merge(const Record& incoming);
  // A change made here: the record to publish, with a version above everything seen.
  Record local(std::string key, std::string by, nlohmann::json data, uint64_t now_ms);
  const Record* find(std::string_view key) const;
  // Every record, in key order (for the push after a reconnect).
  std::vector<Record> all() const;

 private:
  uint64_t highest_ = 0;  // the highest version seen or made
  std::map<std::string, Record, std::less<>> records_;
};

// Keys of the state hash.
inline constexpr std::string_view kReadOnlyKey = "read_only";
std::string serverKey(std::string_view pool, std::string_view server);  // "server/POOL/SERVER"
std::string poolKey(std::string_view pool);                             // "pool/POOL"

// A cache invalidation, shared as an event (a stream entry), not as state: exactly one of
// `url_key` (a purge: the cache's primary key), `prefix` or `tag` (bans) is set.
struct PurgeEvent {
  std::string by;
  std::string url_key;
  std::string prefix;
  std::string tag;
};
std::string encode(const PurgeEvent& event);
std::optional<PurgeEvent> decodePurge(std::string_view text);

// Redis stream ids "MS-SEQ" in order; an empty id is before every other.
bool streamIdAfter(std::string_view a, std::string_view b);

}  // namespace gatehouse::cluster
