#include "cache/targeted_cache_control.h"

#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {

// The parts of an RFC 8941 bare item a cache directive can use: an Integer, a Boolean, or
// anything else (valid, but of a type no directive we know takes).
struct BareItem {
  enum class Type { Integer, Boolean, Other } type = Type::Other;
  int64_t integer = 0;
  bool boolean = true;
};

bool isLcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
  return isLcalpha(c) || (c >= 'A' && c <= 'Z');
}

// A strict RFC 8941 §4.2 reader over one field value: every parse* returns false on a syntax
// error, which invalidates the whole field.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool atEnd() const { return i_ >= s_.size(); }
  bool peek(char c) const { return !atEnd() && s_[i_] == c; }
  void skipSp() {
    while (peek(' '))
      ++i_;
  }
  void skipOws() {
    while (peek(' ') || peek('\t'))
      ++i_;
  }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }

  // §4.2.3.3 key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
  bool parseKey(std::string_view& key) {
    const size_t start = i_;
    if (atEnd() || !(isLcalpha(s_[i_]) || s_[i_] == '*')) return false;
    while (!atEnd() && (isLcalpha(s_[i_]) || isDigit(s_[i_]) || s_[i_] == '_' || s_[i_] == '-' ||
                        s_[i_] == '.' || s_[i_] == '*'))
      ++i_;
    key = s_.substr(start, i_ - start);
    return true;
  }

  // §4.2.3.1 bare item.
  bool parseBareItem(BareItem& item) {
    if (atEnd()) return false;
    const char c = s_[i_];
    if (c == '-' || isDigit(c)) return parseNumber(item);
    item.type = BareItem::Type::Other;
    if (c == '"') return parseString();
    if (c == ':') return parseByteSequence();
    if (c == '?') return parseBoolean(item);
    if (isAlpha(c) || c == '*') return parseToken();
    return false;
  }

  // §4.2.3.2 parameters: their values are checked, then ignored (no directive has any).
  bool parseParameters() {
    while (consume(';')) {
      skipSp();
      std::string_view key;
      if (!parseKey(key)) return false;
      BareItem ignored;
      if (consume('=') && !parseBareItem(ignored)) return false;
    }
    return true;
  }

  // §4.2.1.2 inner list: valid, of a type no directive takes.
  bool parseInnerList() {
    if (!consume('(')) return false;
    for (;;) {
      skipSp();
      if (consume(')')) return parseParameters();
      BareItem ignored;
      if (!parseBareItem(ignored) || !parseParameters()) return false;
      if (!peek(' ') && !peek(')')) return false;
    }
  }

 private:
  // §4.2.4 Integer or Decimal (a Decimal is Other).
  bool parseNumber(BareItem& item) {
    bool negative = consume('-');
    const size_t start = i_;
    while (!atEnd() && isDigit(s_[i_]))
      ++i_;
    const size_t int_digits = i_ - start;
    if (int_digits == 0) return false;
    if (consume('.')) {
      const size_t frac_start = i_;
      while (!atEnd() && isDigit(s_[i_]))
        ++i_;
      const size_t frac = i_ - frac_start;
      if (int_digits > 12 || frac == 0 || frac > 3) return false;
      item.type = BareItem::Type::Other;
      return true;
    }
    if (int_digits > 15) return false;
    int64_t n = 0;
    for (size_t k = start; k < i_; ++k)
      n = n * 10 + (s_[k] - '0');
    item.type = BareItem::Type::Integer;
    item.integer = negative ? -n : n;
    return true;
  }
  bool parseString() {
    ++i_;  // the opening quote
    while (!atEnd()) {
      const char c = s_[i_++];
      if (c == '\\') {
        if (atEnd() || (s_[i_] != '"' && s_[i_] != '\\')) return false;
        ++i_;
      } else if (c == '"') {
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return false;
      }
    }
    return false;
  }
  bool parseByteSequence() {
    ++i_;
    while (!atEnd() && s_[i_] != ':') {
      const char c = s_[i_++];
      if (!(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=')) return false;
    }
    return consume(':');
  }
  bool parseBoolean(BareItem& item) {
    ++i_;
    if (!peek('0') && !peek('1')) return false;
    item.type = BareItem::Type::Boolean;
    item.boolean = s_[i_++] == '1';
    return true;
  }
  bool parseToken() {
    ++i_;
    while (!atEnd() && (ascii::isTokenChar(s_[i_]) || s_[i_] == ':' || s_[i_] == '/'))
      ++i_;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

void setSeconds(std::optional<uint32_t>& slot, const BareItem& item) {
  // RFC 9213 §2.1: a value that is not a non-negative Integer is not consumed.
  if (item.type != BareItem::Type::Integer || item.integer < 0) return;
  slot = static_cast<uint32_t>(std::min<int64_t>(item.integer, kDeltaSecondsMax));
}

void setFlag(bool& flag, const BareItem& item) {
  // A Boolean false is the directive's absence; a value of another type is not consumed.
  if (item.type == BareItem::Type::Boolean) flag = item.boolean;
}

void apply(std::string_view key, const BareItem& item, CacheControl& cc) {
  if (key == "max-age") return setSeconds(cc.max_age, item);
  if (key == "s-maxage") return setSeconds(cc.s_maxage, item);
  if (key == "stale-while-revalidate") return setSeconds(cc.stale_while_revalidate, item);
  if (key == "stale-if-error") return setSeconds(cc.stale_if_error, item);
  if (key == "no-store") return setFlag(cc.no_store, item);
  if (key == "no-cache") return setFlag(cc.no_cache, item);
  if (key == "private") return setFlag(cc.private_, item);
  if (key == "public") return setFlag(cc.public_, item);
  if (key == "must-revalidate") return setFlag(cc.must_revalidate, item);
  if (key == "proxy-revalidate") return setFlag(cc.proxy_revalidate, item);
  if (key == "immutable") return setFlag(cc.immutable, item);
}

}  // namespace

std::optional<CacheControl> parseTargetedCacheControl(std::string_view value) {
  // §4.2: leading and trailing SP are discarded; an empty field is no field.
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  Reader in(value);
  in.skipSp();
  if (in.atEnd()) return std::nullopt;
  CacheControl cc;
  cc.targeted = true;
  for (;;) {
    std::string_view key;
    if (!in.parseKey(key)) return std::nullopt;
    BareItem item;
    item.type = BareItem::Type::Boolean;  // a key alone is the Boolean true
    if (in.consume('=')) {
      if (in.peek('(')) {
        if (!in.parseInnerList()) return std::nullopt;
        item.type = BareItem::Type::Other;
      } else if (!in.parseBareItem(item) || !in.parseParameters()) {
        return std::nullopt;
      }
    } else if (!in.parseParameters()) {
      return std::nullopt;
    }
    // §4.2.2: a later duplicate key overrides an earlier one.
    apply(key, item, cc);
    in.skipOws();
    if (in.atEnd()) return cc;
    if (!in.consume(',')) return std::nullopt;
    in.skipOws();
    if (in.atEnd()) return std::nullopt;  // a trailing comma
  }
}

namespace {

// The first of `targets` with a valid value, and that value: what both lookups below share.
struct Picked {
  std::string value;
  CacheControl cc;
};
std::optional<Picked> pick(const http::HeaderMap& headers, std::span<const std::string> targets) {
  for (const std::string& target : targets) {
    std::string joined;
    bool present = false;
    for (const http::Header& h : headers) {
      if (!ascii::iequals(h.name, target)) continue;
      if (present) joined += ", ";
      joined += h.value;
      present = true;
    }
    if (!present) continue;
    if (std::optional<CacheControl> cc = parseTargetedCacheControl(joined))
      return Picked{std::move(joined), *cc};
  }
  return std::nullopt;
}

}  // namespace

std::optional<CacheControl> targetedCacheControl(const http::HeaderMap& headers,
                                                 std::span<const std::string> targets) {
  if (auto picked = pick(headers, targets)) return picked->cc;
  return std::nullopt;
}

std::optional<std::string> targetedFieldValue(const http::HeaderMap& headers,
                                              std::span<const std::string> targets) {
  if (auto picked = pick(headers, targets)) return std::move(picked->value);
  return std::nullopt;
}

CacheControl responseCacheControl(const http::HeaderMap& headers,
                                  std::span<const std::string> targets) {
  if (!targets.empty())
    if (std::optional<CacheControl> cc = targetedCacheControl(headers, targets)) return *cc;
  return parseCacheControl(headers);
}

}  // namespace gatehouse::cache
