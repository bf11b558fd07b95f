// `static:` URL prefixes served from folders (proxy/static_files/README.md has the behaviour).
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/sections.h"

namespace gatehouse::config {
namespace {

// A URL path that starts and ends with '/', without spaces, controls, '?', '#', '%', '\' or
// dot segments: it is compared byte for byte with the (still encoded) request path.
std::optional<std::string> checkStaticPrefix(std::string_view prefix) {
  if (prefix.front() != '/' || prefix.back() != '/')
    return fmt::format("must start and end with \"/\", got \"{}\"", prefix);
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '?' || c == '#' || c == '%' || c == '\\')
      return fmt::format("bad prefix \"{}\": only a plain URL path", prefix);
  }
  if (prefix.find("/./") != std::string_view::npos || prefix.find("/../") != std::string_view::npos)
    return fmt::format("bad prefix \"{}\": no \".\" or \"..\" segments", prefix);
  return std::nullopt;
}

// A file name (the index): no slashes, not "." or "..".
bool isPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// An extension (without the dot) and a media type "type/subtype[; params]".
void readTypes(const Value& v, StaticConfig& site, Diagnostics& diag) {
  readNamedMap(
      v, "extension",
      [&](const std::string& ext, const YAML::Mark& mark, const Value& value) {
        if (ext.empty() || ext.front() == '.' || ext.find_first_of("/\\ ") != std::string::npos) {
          diag.error(mark, value.path,
                     fmt::format("bad extension \"{}\": write it without the dot, e.g. css", ext));
          return;
        }
        auto type = readString(value, diag);
        if (!type) return;
        if (type->find('/') == std::string::npos ||
            std::any_of(type->begin(), type->end(), [](char c) {
              auto u = static_cast<unsigned char>(c);
              return u < 0x20 || u >= 0x7f;
            })) {
          diag.error(value.mark, value.path,
                     fmt::format("bad media type \"{}\": expected type/subtype", *type));
          return;
        }
        std::string lower = ext;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
        site.types.emplace_back(std::move(lower), std::move(*type));
      },
      diag);
}

// STATE_DIR/static-versions/NAME, NAME the prefix without its slashes ("/a/b/" -> "a_b").
std::string defaultVersionsDir(std::string_view state_dir, std::string_view prefix) {
  std::string name;
  for (char c : prefix) {
    if (c != '/')
      name += c;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_')
    name.pop_back();
  return fmt::format("{}/static-versions/{}", state_dir == "/" ? "" : state_dir,
                     name.empty() ? "root" : name);
}

StaticConfig readStatic(const Value& item, std::string_view state_dir, Diagnostics& diag) {
  StaticConfig site;
  std::optional<Value> manifest, keep_versions;
  readMap(item,
          {
              {"prefix",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 if (auto why = checkStaticPrefix(*s)) return diag.error(v.mark, v.path, *why);
                 site.prefix = std::move(*s);
               },
               /*required=*/true},
              {"root",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 if (s->front() != '/')
                   return diag.error(v.mark, v.path,
                                     fmt::format("must be an absolute path, got \"{}\"", *s));
                 while (s->size() > 1 && s->back() == '/')
                   s->pop_back();
                 // Checked here, like certificate files, so that `gatehouse check` points at
                 // the line; the server checks again when it builds the site.
                 struct stat st {};
                 if (::stat(s->c_str(), &st) != 0)
                   return diag.error(
                       v.mark, v.path,
                       fmt::format("cannot use \"{}\": {}", *s, std::strerror(errno)));
                 if (!S_ISDIR(st.st_mode))
                   return diag.error(v.mark, v.path, fmt::format("\"{}\" is not a folder", *s));
                 site.root = std::move(*s);
               },
               /*required=*/true},
              {"versioned",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) site.versioned = *b;
               }},
              {"manifest", [&](const Value& v) { manifest = v; }},
              {"keep_versions", [&](const Value& v) { keep_versions = v; }},
              {"versions_dir",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 if (s->front() != '/')
                   return diag.error(v.mark, v.path,
                                     fmt::format("must be an absolute path, got \"{}\"", *s));
                 while (s->size() > 1 && s->back() == '/')
                   s->pop_back();
                 site.versions_dir = std::move(*s);
               }},
              {"index",
               [&](const Value& v) {
                 auto s = readString(v, diag);
                 if (!s) return;
                 if (!isPlainFileName(*s))
                   return diag.error(v.mark, v.path,
                                     fmt::format("must be a file name, got \"{}\"", *s));
                 site.index = std::move(*s);
               }},
              {"allow_symlinks",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) site.allow_symlinks = *b;
               }},
              {"dotfiles",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) site.dotfiles = *b;
               }},
              {"precompressed",
               [&](const Value& v) {
                 if (auto b = readBool(v, diag)) site.precompressed = *b;
               }},
              {"types", [&](const Value& v) { readTypes(v, site, diag); }},
          },
          {}, diag);
  // Checked after the map, whatever the key order: they depend on other keys.
  if (manifest) {
    auto s = readString(*manifest, diag);
    if (s && !site.versioned) {
      diag.error(manifest->mark, manifest->path, "needs versioned: true");
    } else if (s && !site.prefix.empty() && (!s->starts_with(site.prefix) || *s == site.prefix)) {
      diag.error(manifest->mark, manifest->path,
                 fmt::format("must be a URL under the prefix \"{}\", got \"{}\"", site.prefix, *s));
    } else if (s) {
      site.manifest = std::move(*s);
    }
  }
  if (!keep_versions && site.versioned && (!site.versions_dir.empty() || !state_dir.empty())) {
    // Versioned sites keep old versions by default: a page a browser or a CDN still holds
    // names them. Without versions_dir nor a state directory, keeping stays off.
    site.keep_versions = kDefaultKeepVersions;
  }
  if (site.keep_versions.count() > 0 && site.versions_dir.empty()) {
    site.versions_dir = defaultVersionsDir(state_dir, site.prefix);
    site.versions_dir_defaulted = true;
  }
  if (keep_versions) {
    auto d = readDuration(*keep_versions, diag);
    if (d && d->count() > 0 && !site.versioned) {
      diag.error(keep_versions->mark, keep_versions->path, "needs versioned: true");
    } else if (d && d->count() > 0 && site.versions_dir.empty() && state_dir.empty()) {
      diag.error(keep_versions->mark, keep_versions->path,
                 "needs versions_dir (a folder for the copies of old versions), or a state_file "
                 "whose folder holds them");
    } else if (d) {
      site.keep_versions = *d;
    }
  }
  return site;
}

bool isUnder(std::string_view path, std::string_view folder) {
  while (folder.size() > 1 && folder.back() == '/')
    folder.remove_suffix(1);
  return path == folder || (path.starts_with(folder) && path.size() > folder.size() &&
                            (path[folder.size()] == '/' || folder == "/"));
}

}  // namespace

void readStatics(const Value& v, std::string_view state_dir, std::vector<StaticConfig>& statics,
                 Diagnostics& diag) {
  size_t index = 0;
  readList(
      v,
      [&](const Value& item) {
        StaticConfig site = readStatic(item, state_dir, diag);
        const std::string path = itemPath(v.path, index++);
        for (const StaticConfig& other : statics) {
          if (!site.prefix.empty() && other.prefix == site.prefix)
            diag.error(item.mark, childPath(path, "prefix"),
                       fmt::format("duplicate prefix \"{}\"", site.prefix));
        }
        // Copies of old versions inside the served folder would be served as plain files.
        if (!site.versions_dir.empty() && !site.root.empty() &&
            (isUnder(site.versions_dir, site.root) || isUnder(site.root, site.versions_dir)))
          diag.error(item.mark, childPath(path, "versions_dir"),
                     "must be outside root (and root outside it)");
        statics.push_back(std::move(site));
      },
      diag);
}

}  // namespace gatehouse::config
