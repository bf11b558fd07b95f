// `listeners[].tls`.
#include <fmt/format.h>
#include <unistd.h>

#include "config/sections.h"

namespace gatehouse::config {

// The file must exist and be readable now; its content (PEM, key match) is checked when the
// TLS context is built, with an error that names the file.
// `fix` is appended when the file exists but this process may not read it.
std::optional<std::string> readFilePath(const Value& v, Diagnostics& diag, std::string_view fix) {
  auto path = readString(v, diag);
  if (!path) return std::nullopt;
  if (::access(path->c_str(), R_OK) != 0) {
    const int err = errno;
    diag.error(v.mark, v.path,
               fmt::format("cannot read \"{}\": {}{}", *path, std::strerror(err),
                           err == EACCES ? fix : std::string_view()));
    return std::nullopt;
  }
  return path;
}

std::string valueOrigin(const Value& x, const Diagnostics& diag) {
  return fmt::format("{}:{}:{}: {}", diag.source(), x.mark.line + 1, x.mark.column + 1, x.path);
}

namespace {

TlsCertificateConfig readCertificate(const Value& v, Diagnostics& diag) {
  TlsCertificateConfig c;
  readMap(v,
          {{"cert",
            [&](const Value& x) {
              c.cert = readFilePath(x, diag).value_or("");
              c.cert_origin = valueOrigin(x, diag);
            },
            true},
           {"key",
            [&](const Value& x) {
              c.key = readFilePath(x, diag, kKeyPermissionFix).value_or("");
              c.key_origin = valueOrigin(x, diag);
            },
            true},
           {"ocsp", [&](const Value& x) { c.ocsp = readFilePath(x, diag).value_or(""); }}},
          {}, diag);
  return c;
}

}  // namespace

void readTls(const Value& v, TlsConfig& tls, Diagnostics& diag) {
  readMap(
      v,
      {{"certificates",
        [&](const Value& list) {
          bool is_list = readList(
              list,
              [&](const Value& item) { tls.certificates.push_back(readCertificate(item, diag)); },
              diag);
          if (is_list && tls.certificates.empty())
            diag.error(list.mark, list.path, "at least one certificate is required");
        },
        /*required=*/true},
       {"min_version",
        [&](const Value& x) {
          if (auto m = readChoice<std::string_view>(
                  x, {{"TLSv1.2", "TLSv1.2"}, {"TLSv1.3", "TLSv1.3"}}, diag))
            tls.min_version = std::string(*m);
        }},
       {"ciphers", [&](const Value& x) { tls.ciphers = readString(x, diag).value_or(""); }},
       {"ciphersuites",
        [&](const Value& x) { tls.ciphersuites = readString(x, diag).value_or(""); }},
       {"alpn",
        [&](const Value& list) {
          tls.alpn.clear();
          readList(
              list,
              [&](const Value& item) {
                if (auto p = readChoice<std::string_view>(
                        item, {{"h2", "h2"}, {"http/1.1", "http/1.1"}}, diag))
                  tls.alpn.emplace_back(*p);
              },
              diag);
          if (tls.alpn.empty())
            diag.error(list.mark, list.path, "at least one protocol is required");
        }},
       {"session_tickets",
        [&](const Value& x) { tls.session_tickets = readBool(x, diag).value_or(true); }},
       {"session_cache",
        [&](const Value& x) { tls.session_cache = readBool(x, diag).value_or(true); }}},
      {}, diag);
}

}  // namespace gatehouse::config
