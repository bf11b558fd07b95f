#include "proxy/static_files/precompressed.h"

#include "proxy/base/ascii.h"

namespace gatehouse::static_files {
namespace {

// The q of one list element "gzip;q=0.5" (1 when absent; 0 for a malformed one).
double qValue(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = ascii::trimOws(params.substr(0, semi));
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string_view v = ascii::trimOws(p.substr(2));
      if (v.empty() || (v[0] != '0' && v[0] != '1')) return 0;
      if (v[0] == '1') return 1;
      for (char c : v.substr(1))
        if (c != '.' && (c < '0' || c > '9')) return 0;
      return v.find_first_of("123456789") == std::string_view::npos ? 0 : 0.5;
    }
    if (semi == std::string_view::npos) break;
    params.remove_prefix(semi + 1);
  }
  return 1;
}

}  // namespace

bool acceptsCoding(const http::HeaderMap& request, std::string_view coding) {
  int explicit_q = -1, star_q = -1;  // -1: not listed; 0: refused; 1: accepted
  for (const http::Header& h : request) {
    if (!ascii::iequals(h.name, "accept-encoding")) continue;
    std::string_view list = h.value;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view item = ascii::trimOws(list.substr(0, comma));
      size_t semi = item.find(';');
      std::string_view name = ascii::trimOws(item.substr(0, semi));
      int q =
          qValue(semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1)) > 0;
      if (ascii::iequals(name, coding)) explicit_q = q;
      if (name == "*") star_q = q;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (explicit_q >= 0) return explicit_q == 1;
  return star_q == 1;
}

Encoding chooseEncoding(const http::HeaderMap& request, bool have_br, bool have_gz) {
  if (!have_br && !have_gz) return Encoding::Identity;
  if (have_br && acceptsCoding(request, "br")) return Encoding::Brotli;
  if (have_gz && acceptsCoding(request, "gzip")) return Encoding::Gzip;
  return Encoding::Identity;
}

}  // namespace gatehouse::static_files
