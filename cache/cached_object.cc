#include "cache/cached_object.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "cache/allocation_size.h"

namespace gatehouse::cache {
namespace {

enum BodyPlace { kNoBody = 0, kInline = 1, kOwnBlock = 2, kShared = 3 };

// allocate_shared's allocator, with room for the object's texts (and maybe its body) after the
// control block. Stateless, so the control block does not grow by a copy of it: the extra size
// goes in, and the block's address comes out, through this thread's variables (make() runs
// allocate_shared and nothing else between setting and reading them).
thread_local size_t t_extra = 0;
thread_local char* t_block = nullptr;
thread_local size_t t_head = 0;

template <typename T>
struct TrailingAllocator {
  using value_type = T;
  TrailingAllocator() = default;
  template <typename U>
  TrailingAllocator(const TrailingAllocator<U>&) {}
  T* allocate(size_t n) {
    t_head = n * sizeof(T);
    void* block = std::malloc(t_head + t_extra);
    if (!block) throw std::bad_alloc();
    t_block = static_cast<char*>(block);
    return static_cast<T*>(block);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const TrailingAllocator<U>&) const {
    return true;
  }
};

// Where `value` sits in `fields` as a field's value, or npos: validators are found there and
// not stored twice.
size_t findValue(std::string_view fields, std::string_view value) {
  if (value.empty()) return std::string_view::npos;
  for (size_t at = fields.find(value); at != std::string_view::npos;
       at = fields.find(value, at + 1)) {
    const bool starts = at >= 2 && fields.substr(at - 2, 2) == ": ";
    const bool ends = fields.substr(at + value.size()).starts_with("\r\n");
    if (starts && ends) return at;
  }
  return std::string_view::npos;
}

void splitLines(std::string_view joined, std::vector<std::string>& out) {
  while (!joined.empty()) {
    const size_t end = joined.find('\n');
    out.emplace_back(joined.substr(0, end));
    joined.remove_prefix(end + 1);
  }
}

// Names or tags, each followed by '\n' (neither can contain one).
std::string joinLines(const std::vector<std::string>& tags) {
  std::string joined;
  for (const std::string& t : tags) {
    joined += t;
    joined += '\n';
  }
  return joined;
}

}  // namespace

std::shared_ptr<const CachedObject> CachedObject::make(const ObjectDraft& d, std::string_view body,
                                                       std::shared_ptr<const Body> shared) {
  const std::string_view fields = d.fields.wire();
  const bool etag_apart = findValue(fields, d.etag) == std::string_view::npos;
  const bool lm_apart = findValue(fields, d.last_modified) == std::string_view::npos;
  const std::vector<http::Http2PlannedField> plan = http::planHttp2Fields(fields);
  const size_t text = fields.size() + std::span(plan).size_bytes() + d.reason.size() +
                      d.key.size() + d.vary_key.size() + joinLines(d.vary_fields).size() +
                      d.targeted.size() + d.early_hints.size() + joinLines(d.tags).size() +
                      (etag_apart ? d.etag.size() : 0) + (lm_apart ? d.last_modified.size() : 0);
  int place = kNoBody;
  if (!body.empty()) {
    if (shared && body.size() > kPackedBodyMax) {
      place = kShared;
    } else {
      // The control block and this header come first; which costs less, the body with them or
      // in a block of its own?
      constexpr size_t kHead = sizeof(CachedObject) + 16;
      place = allocationSize(kHead + text + body.size()) <=
                      allocationSize(kHead + text) + allocationSize(body.size())
                  ? kInline
                  : kOwnBlock;
    }
  }
  t_extra = text + (place == kInline ? body.size() : 0);
  auto object = std::allocate_shared<CachedObject>(TrailingAllocator<CachedObject>(), Passkey(), d,
                                                   body, std::move(shared), place, plan);
  CachedObject& o = const_cast<CachedObject&>(*object);
  uint64_t charge = allocatedSize(t_block) + kIndexShare;
  if (place == kOwnBlock) charge += allocatedSize(o.body_);
  if (place == kShared) {
    charge += allocatedSize(o.shared_body_->data());
    charge += allocationSize(sizeof(Body) + 16);  // make_shared<Body>'s block
  }
  // A Vary'd variant is also listed in its key's group (cache_shard.h): a pointer, and a share
  // of the group's node and field names.
  if (!d.vary_fields.empty() && !d.hit_for_pass) charge += kVaryShare;
  o.charge = charge;
  return object;
}

CachedObject::CachedObject(Passkey, const ObjectDraft& d, std::string_view body,
                           std::shared_ptr<const Body> shared, int body_place,
                           std::span<const http::Http2PlannedField> http2_fields)
    : ObjectTimes(d) {
  // The texts follow the control block, in the allocation that allocate() just made; the
  // object is its last member, so they follow the object too (a gap would be its padding).
  char* const text = t_block + t_head;
  const char* const end = reinterpret_cast<const char*>(this) + sizeof(CachedObject);
  if (text < end || text - end > 255) std::abort();  // a standard library unlike libstdc++
  text_gap_ = static_cast<uint8_t>(text - end);
  char* at = text;
  auto put = [&](Piece p, std::string_view s) {
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    at += s.size();
    end_[static_cast<size_t>(p)] = static_cast<uint32_t>(at - text);
  };
  put(Piece::Fields, d.fields.wire());
  put(Piece::Reason, d.reason);
  put(Piece::Key, d.key);
  put(Piece::VaryKey, d.vary_key);
  put(Piece::VaryFields, joinLines(d.vary_fields));
  put(Piece::Targeted, d.targeted);
  put(Piece::EarlyHints, d.early_hints);
  put(Piece::Tags, joinLines(d.tags));
  // Plain bytes (no alignment), copied in: the copy makes the entries that http2Fields() reads.
  put(Piece::Http2Fields,
      {reinterpret_cast<const char*>(http2_fields.data()), http2_fields.size_bytes()});
  // Validators: within the fields when they are there (always, for a response's own), else
  // after the other pieces.
  const std::string_view fields = d.fields.wire();
  auto validator = [&](Slice& slice, std::string_view value) {
    slice.length = static_cast<uint32_t>(value.size());
    const size_t found = findValue(fields, value);
    if (value.empty()) return;
    if (found != std::string_view::npos) {
      slice.offset = static_cast<uint32_t>(found);
      return;
    }
    slice.offset = static_cast<uint32_t>(at - text);
    std::memcpy(at, value.data(), value.size());
    at += value.size();
  };
  validator(etag_, d.etag);
  validator(last_modified_, d.last_modified);
  body_size_ = body_place == kShared ? 0 : static_cast<uint32_t>(body.size());
  switch (body_place) {
    case kInline:
      std::memcpy(at, body.data(), body.size());
      body_ = at;
      break;
    case kOwnBlock: {
      char* block = static_cast<char*>(std::malloc(body.size()));
      if (!block) throw std::bad_alloc();
      std::memcpy(block, body.data(), body.size());
      body_ = block;
      owns_body_block_ = true;
      break;
    }
    case kShared:
      shared_body_ = std::move(shared);
      body_ = body.data();
      break;
    default:
      body_ = text;
      break;
  }
}

CachedObject::~CachedObject() {
  if (owns_body_block_) std::free(const_cast<char*>(body_));
}

bool CachedObject::hasTag(std::string_view tag) const {
  std::string_view tags = piece(Piece::Tags);
  while (!tags.empty()) {
    const size_t end = tags.find('\n');
    if (tags.substr(0, end) == tag) return true;
    tags.remove_prefix(end + 1);
  }
  return false;
}

ObjectDraft CachedObject::draft() const {
  ObjectDraft d;
  static_cast<ObjectTimes&>(d) = *this;
  d.key = key();
  d.vary_key = varyKey();
  d.reason = reason();
  d.fields = http::FieldLines::fromWire(fields());
  d.etag = etag();
  d.last_modified = lastModified();
  d.targeted = targeted();
  d.early_hints = earlyHints();
  splitLines(varyFields(), d.vary_fields);
  splitLines(piece(Piece::Tags), d.tags);
  return d;
}

std::vector<std::string> CachedObject::varyFieldList() const {
  std::vector<std::string> fields;
  splitLines(varyFields(), fields);
  return fields;
}

}  // namespace gatehouse::cache
