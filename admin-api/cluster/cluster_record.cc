#include "admin-api/cluster/cluster_record.h"

#include <algorithm>
#include <charconv>

namespace gatehouse::cluster {

std::string encode(const Record& record) {
  nlohmann::json j{{"v", record.version}, {"by", record.by}, {"d", record.data}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Record> decode(std::string_view key, std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  const auto v = j.find("v");
  const auto by = j.find("by");
  const auto d = j.find("d");
  // Versions are read back from Lua's cjson too, which may write them as 1.7e+12: whole
  // numbers in a double are exact up to 2^53, far beyond any millisecond clock.
  if (v == j.end() || !v->is_number() || by == j.end() || !by->is_string() || d == j.end())
    return std::nullopt;
  const double version = v->get<double>();
  if (version < 0 || version > 9007199254740992.0) return std::nullopt;
  return Record{std::string(key), static_cast<uint64_t>(version), by->get<std::string>(), *d};
}

Merge StateBook::merge(const Record& incoming) {
  highest_ = std::max(highest_, incoming.version);
  auto it = records_.find(incoming.key);
  if (it != records_.end()) {
    if (it->second.version == incoming.version && it->second.by == incoming.by) return Merge::Same;
    if (!incoming.supersedes(it->second)) return Merge::Stale;
    it->second = incoming;
    return Merge::Apply;
  }
  records_.emplace(incoming.key, incoming);
  return Merge::Apply;
}

Record StateBook::local(std::string key, std::string by, nlohmann::json data, uint64_t now_ms) {
  highest_ = std::max(highest_ + 1, now_ms);
  Record record{std::move(key), highest_, std::move(by), std::move(data)};
  records_.insert_or_assign(record.key, record);
  return record;
}

const Record* StateBook::find(std::string_view key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<Record> StateBook::all() const {
  std::vector<Record> out;
  out.reserve(records_.size());
  for (const auto& [key, record] : records_)
    out.push_back(record);
  return out;
}

std::string serverKey(std::string_view pool, std::string_view server) {
  return "server/" + std::string(pool) + "/" + std::string(server);
}

std::string poolKey(std::string_view pool) {
  return "pool/" + std::string(pool);
}

std::string encode(const PurgeEvent& event) {
  nlohmann::json j{{"by", event.by}};
  if (!event.url_key.empty()) j["url_key"] = event.url_key;
  if (!event.prefix.empty()) j["prefix"] = event.prefix;
  if (!event.tag.empty()) j["tag"] = event.tag;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<PurgeEvent> decodePurge(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  PurgeEvent e;
  const auto str = [&](const char* name, std::string& out) {
    auto it = j.find(name);
    if (it != j.end() && it->is_string()) out = it->get<std::string>();
  };
  str("by", e.by);
  str("url_key", e.url_key);
  str("prefix", e.prefix);
  str("tag", e.tag);
  const int kinds = !e.url_key.empty() + !e.prefix.empty() + !e.tag.empty();
  if (kinds != 1) return std::nullopt;
  return e;
}

namespace {

std::pair<uint64_t, uint64_t> splitStreamId(std::string_view id) {
  uint64_t ms = 0, seq = 0;
  const size_t dash = id.find('-');
  std::from_chars(id.data(), id.data() + std::min(dash, id.size()), ms);
  if (dash != std::string_view::npos)
    std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

}  // namespace

bool streamIdAfter(std::string_view a, std::string_view b) {
  if (a.empty()) return false;
  if (b.empty()) return true;
  return splitStreamId(a) > splitStreamId(b);
}

}  // namespace gatehouse::cluster
