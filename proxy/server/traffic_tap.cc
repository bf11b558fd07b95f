#include "proxy/server/traffic_tap.h"

#include <algorithm>
#include <cstring>

namespace gatehouse::server {

using tap_detail::kFields;
using tap_detail::Slot;

TapEntry TapBatch::operator[](size_t i) const {
  const Slot& s = slots_[i];
  std::string_view text(text_);
  size_t at = s.text_begin;
  std::string_view fields[kFields];
  for (size_t f = 0; f < kFields; ++f) {
    fields[f] = text.substr(at, s.length[f]);
    at += s.length[f];
  }
  TapEntry e;
  e.time_ms = s.time_us / 1000;
  e.client = fields[0];
  e.method = fields[1];
  e.host = fields[2];
  e.target = fields[3];
  e.server = fields[4];
  e.cache = fields[5];
  e.status = s.status;
  e.bytes = s.bytes;
  e.duration_us = s.duration_us;
  e.listener = s.listener;
  return e;
}

TrafficTap& TrafficTap::process() {
  static TrafficTap tap;
  return tap;
}

void TrafficTap::publish(const http::Exchange& exchange, const ExchangeEnd& end, size_t shard) {
  const http::RequestHead& request = exchange.request();
  const http::ExchangeRecord& r = exchange.record();
  const std::string_view fields[kFields] = {
      exchange.client().ip, request.method, request.authority,
      request.target,       r.server,       r.cache_status.view()};
  Slot slot{};
  slot.time_us = end.unixUs();
  slot.bytes = r.bytes_sent;
  slot.duration_us = end.elapsedUs();
  slot.status = static_cast<uint16_t>(std::clamp(r.status, 0, 999));
  slot.listener = exchange.client().listener;
  size_t length = 0;
  for (size_t f = 0; f < kFields; ++f) {
    slot.length[f] = static_cast<uint16_t>(std::min(fields[f].size(), kFieldMax));
    length += slot.length[f];
  }
  Shard& s = shards_[shard % kShards];
  std::lock_guard lock(s.mu);
  Buffer& ring = s.live;
  if (!ring.slots) [[unlikely]] {  // first entry since the tail attached
    ring.slots.reset(new Slot[kCapacity]);
    ring.text.reset(new char[kTextCapacity]);
  }
  if (ring.count >= kCapacity || ring.used + length > kTextCapacity) [[unlikely]] {
    dropped_total.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot.text_begin = static_cast<uint32_t>(ring.used);
  char* out = ring.text.get() + ring.used;
  for (size_t f = 0; f < kFields; ++f) {
    std::memcpy(out, fields[f].data(), slot.length[f]);
    out += slot.length[f];
  }
  ring.used += length;
  ring.slots[ring.count++] = slot;
}

void TrafficTap::detach() {
  if (listeners_.fetch_sub(1, std::memory_order_relaxed) != 1) return;
  // The last listener left: give the shards' storage back. A worker that tested listening()
  // just before may still append once and allocate again; the next detach frees that too.
  for (size_t i = 0; i < kShards; ++i) {
    Buffer freed;
    {
      std::lock_guard lock(shards_[i].mu);
      std::swap(freed, shards_[i].live);
    }
    drained_[i] = Buffer{};
  }
}

void TrafficTap::drain(TapBatch& batch) {
  batch.clear();
  size_t shards_with_entries = 0;
  for (size_t i = 0; i < kShards; ++i) {
    Buffer& spare = drained_[i];
    spare.count = spare.used = 0;  // the shard takes this storage over below
    {
      std::lock_guard lock(shards_[i].mu);
      if (shards_[i].live.count == 0) continue;
      std::swap(spare, shards_[i].live);
    }
    ++shards_with_entries;
    const auto shift = static_cast<uint32_t>(batch.text_.size());
    batch.text_.append(spare.text.get(), spare.used);
    for (size_t j = 0; j < spare.count; ++j) {
      Slot slot = spare.slots[j];
      slot.text_begin += shift;
      batch.slots_.push_back(slot);
    }
  }
  // Each shard is in order; together they are in the order the exchanges ended (a tail reads
  // a 503 then a 502 as they happened, whichever workers served them).
  if (shards_with_entries > 1)
    std::stable_sort(batch.slots_.begin(), batch.slots_.end(),
                     [](const Slot& a, const Slot& b) { return a.time_us < b.time_us; });
}

}  // namespace gatehouse::server
