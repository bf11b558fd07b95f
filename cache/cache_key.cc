#include "cache/cache_key.h"

#include <algorithm>
#include <cstring>

#include "proxy/base/ascii.h"

namespace gatehouse::cache {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

bool isUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ascii::toLower(c);
  return out;
}

// Eight bytes a step: a host is lowercased for every cacheable request.
void appendLower(std::string& out, std::string_view s) {
  const size_t start = out.size();
  out.append(s);
  char* p = out.data() + start;
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    const uint64_t lowered = ascii::detail::toLower8(ascii::detail::load8(p));
    std::memcpy(p, &lowered, 8);
  }
  for (; n > 0; ++p, --n)
    *p = ascii::toLower(*p);
}

// "Example.COM:443" with scheme https -> "example.com"; other ports stay.
void appendNormalizedHost(std::string& out, std::string_view host, std::string_view scheme) {
  const size_t start = out.size();
  appendLower(out, host);
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (std::string_view(out).substr(start).ends_with(default_port))
    out.resize(out.size() - default_port.size());
}

void appendNormalizedTarget(std::string& out, std::string_view target) {
  const size_t start = out.size();
  // Most targets have no escapes: copied whole.
  const size_t first_escape = target.find('%');
  out.append(target.substr(0, first_escape));
  for (size_t i = out.size() - start; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%' && i + 2 < target.size()) {
      int hi = ascii::hexValue(target[i + 1]), lo = ascii::hexValue(target[i + 2]);
      if (hi >= 0 && lo >= 0) {
        char decoded = static_cast<char>(hi * 16 + lo);
        if (isUnreserved(decoded)) {
          out += decoded;
        } else {
          out += '%';
          out += upper(target[i + 1]);
          out += upper(target[i + 2]);
        }
        i += 2;
        continue;
      }
    }
    out += c;
  }
  if (out.size() == start || out[start] != '/')
    out.insert(out.begin() + static_cast<ptrdiff_t>(start), '/');
}

std::string normalizeHost(std::string_view host, std::string_view scheme) {
  std::string out;
  appendNormalizedHost(out, host, scheme);
  return out;
}

}  // namespace

std::string normalizeTarget(std::string_view target) {
  std::string out;
  out.reserve(target.size() + 1);
  appendNormalizedTarget(out, target);
  return out;
}

// Built in one string with its size reserved: this runs for every cacheable request.
std::string primaryKey(std::string_view scheme_text, std::string_view authority,
                       std::string_view target) {
  std::string key;
  primaryKeyInto(key, scheme_text, authority, target);
  return key;
}

void primaryKeyInto(std::string& key, std::string_view scheme_text, std::string_view authority,
                    std::string_view target) {
  key.clear();
  key.reserve(scheme_text.size() + 3 + authority.size() + target.size() + 1);
  appendLower(key, scheme_text);
  const bool https = key == "https";
  key += "://";
  appendNormalizedHost(key, authority, https ? "https" : "http");
  appendNormalizedTarget(key, target);
}

std::string primaryKey(const http::RequestHead& request) {
  return primaryKey(request.scheme, request.authority, request.target);
}

std::optional<std::string> primaryKeyFromUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  std::string scheme = lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view host = rest.substr(0, slash);
  if (host.empty()) return std::nullopt;
  std::string_view target = slash == std::string_view::npos ? "/" : rest.substr(slash);
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  return scheme + "://" + normalizeHost(host, scheme) + normalizeTarget(target);
}

std::string_view keyPath(std::string_view key) {
  size_t sep = key.find("://");
  if (sep == std::string_view::npos) return key;
  size_t slash = key.find('/', sep + 3);
  return slash == std::string_view::npos ? std::string_view("/") : key.substr(slash);
}

std::string normalizeAcceptEncoding(std::string_view value) {
  bool br = false, gzip = false;
  ascii::forEachListElement(value, [&](std::string_view item) {
    std::string_view coding = ascii::trimOws(item.substr(0, item.find(';')));
    std::string_view params = item.find(';') == std::string_view::npos
                                  ? std::string_view()
                                  : item.substr(item.find(';') + 1);
    // "gzip;q=0" refuses gzip; any other weight accepts it.
    std::string_view q = ascii::trimOws(params);
    const bool refused = (q.starts_with("q=") || q.starts_with("Q=")) &&
                         q.substr(2).find_first_not_of("0.") == std::string_view::npos;
    if (refused) return;
    if (ascii::iequals(coding, "br")) br = true;
    if (ascii::iequals(coding, "gzip") || ascii::iequals(coding, "x-gzip")) gzip = true;
  });
  if (br) return "br";
  if (gzip) return "gzip";
  return "";
}

std::vector<std::string> varyFields(const http::HeaderMap& response_headers) {
  std::vector<std::string> fields;
  for (const http::Header& h : response_headers) {
    if (!ascii::iequals(h.name, "vary")) continue;
    ascii::forEachListElement(h.value,
                              [&](std::string_view item) { fields.push_back(lower(item)); });
  }
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  return fields;
}

std::string varyKey(const std::vector<std::string>& fields,
                    const http::HeaderMap& request_headers) {
  std::string key;
  for (const std::string& field : fields) {
    std::string combined;
    bool present = false;
    for (const http::Header& h : request_headers) {
      if (!ascii::iequals(h.name, field)) continue;
      if (present) combined += ',';
      present = true;
      // Collapse runs of whitespace so "a,  b" and "a, b" select one variant.
      bool space = false;
      for (char c : ascii::trimOws(h.value)) {
        if (ascii::isOws(c)) {
          space = true;
          continue;
        }
        if (space) combined += ' ';
        space = false;
        combined += c;
      }
    }
    if (field == "accept-encoding") {
      // Absent and identity are the same request for a representation.
      combined = normalizeAcceptEncoding(combined);
      present = true;
    }
    // Length-prefixed, so that no value can forge another field's boundary; a missing field
    // differs from an empty one.
    key += field;
    key += present ? '=' : '!';
    key += std::to_string(combined.size());
    key += ':';
    key += combined;
    key += '\n';
  }
  return key;
}

}  // namespace gatehouse::cache
