// `admin:` where the admin API listens and where its bearer token comes from.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "config/file_reader.h"
#include "config/loader.h"
#include "config/sections.h"

namespace gatehouse::config {
namespace {

// A token is a line of text; anything larger is the wrong file.
constexpr size_t kMaxTokenFileBytes = 4096;

// The file's content, or why not. Only regular files: a FIFO or a device (/dev/stdin,
// /dev/zero) would block or never end, and the loader must always return.
Result<std::string> readSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{"not a regular file"};
  }
  return readAllBounded(fd, kMaxTokenFileBytes, fmt::format("{} bytes", kMaxTokenFileBytes));
}

// The token must travel in `Authorization: Bearer TOKEN`: one line of visible ASCII. A file
// written by `echo` ends in a newline, which is not part of the token.
Result<std::string> tokenFrom(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.empty()) return Error{"is empty"};
  for (char c : text) {
    if (c < 0x21 || c > 0x7e)
      return Error{"must be one line of visible ASCII characters (no spaces)"};
  }
  return text;
}

void readTokenFile(const Value& v, AdminConfig& admin, Diagnostics& diag) {
  auto path = readString(v, diag);
  if (!path) return;
  admin.token_file = *path;
  auto token = readAdminTokenFile(*path);
  if (!token) {
    diag.error(v.mark, v.path, token.error().message);
    return;
  }
  admin.token = std::move(*token);
}

void readTokenEnv(const Value& v, AdminConfig& admin, Diagnostics& diag) {
  auto name = readString(v, diag);
  if (!name) return;
  admin.token_env = *name;
  const char* value = std::getenv(name->c_str());
  if (value == nullptr) {
    diag.error(v.mark, v.path, fmt::format("environment variable {} is not set", *name));
    return;
  }
  auto token = tokenFrom(value);
  if (!token) {
    diag.error(
        v.mark, v.path,
        fmt::format("the token in environment variable {} {}", *name, token.error().message));
    return;
  }
  admin.token = std::move(*token);
}

bool sameAddress(const Address& a, const Address& b) {
  if (a.port != b.port || a.host.size() != b.host.size()) return false;
  for (size_t i = 0; i < a.host.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a.host[i]) != lower(b.host[i])) return false;
  }
  return true;
}

}  // namespace

Result<std::string> readAdminTokenFile(const std::string& path) {
  auto text = readSmallFile(path);
  if (!text) return Error{fmt::format("cannot read \"{}\": {}", path, text.error().message)};
  auto token = tokenFrom(std::move(*text));
  if (!token) return Error{fmt::format("the token in \"{}\" {}", path, token.error().message)};
  return token;
}

void readAdmin(const Value& v, const std::vector<ListenerConfig>& listeners, AdminConfig& admin,
               Diagnostics& diag) {
  std::optional<Value> file_v, env_v;
  bool is_map = readMap(
      v,
      {
          {"address",
           [&](const Value& a) {
             auto address = readAddress(a, diag);
             if (!address) return;
             // Caught here rather than as a bind error at start-up.
             for (size_t i = 0; i < listeners.size(); ++i) {
               if (address->port != 0 && sameAddress(*address, listeners[i].address))
                 diag.error(a.mark, a.path, fmt::format("the same address as listeners[{}]", i));
             }
             admin.address = *address;
           }},
          {"max_connections",
           [&](const Value& m) {
             if (auto n = readUint(m, 2, 65535, diag)) admin.max_connections = *n;
           }},
          {"max_unauthenticated",
           [&](const Value& m) {
             if (auto n = readUint(m, 1, 65535, diag)) admin.max_unauthenticated = *n;
           }},
          {"client_header",
           [&](const Value& d) {
             if (auto t = readDuration(d, diag)) admin.client_header = *t;
           }},
          {"client_idle",
           [&](const Value& d) {
             if (auto t = readDuration(d, diag)) admin.client_idle = *t;
           }},
          {"session_ttl",
           [&](const Value& d) {
             auto t = readDuration(d, diag);
             if (!t) return;
             if (t->count() == 0) return diag.error(d.mark, d.path, "must be more than 0");
             admin.session_ttl = *t;
           }},
          {"token_file", [&](const Value& f) { file_v = f; }},
          {"token_env", [&](const Value& e) { env_v = e; }},
      },
      {}, diag);
  if (!is_map) return;
  // Room must remain for authenticated connections whatever unauthenticated ones do.
  if (admin.max_unauthenticated >= admin.max_connections) {
    diag.error(v.mark, v.path + ".max_unauthenticated",
               fmt::format("must be less than max_connections ({})", admin.max_connections));
  }
  // Exactly one source: two would leave the operator guessing which token is in force.
  if (file_v && env_v) {
    diag.error(env_v->mark, env_v->path, "use token_file or token_env, not both");
    return;
  }
  if (file_v) {
    readTokenFile(*file_v, admin, diag);
  } else if (env_v) {
    readTokenEnv(*env_v, admin, diag);
  } else {
    diag.error(v.mark, v.path, "one of token_file or token_env is required");
  }
}

}  // namespace gatehouse::config
