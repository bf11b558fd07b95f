#include "proxy/static_files/content_types.h"

#include "proxy/base/ascii.h"

namespace gatehouse::static_files {
namespace {

// Text types carry charset=utf-8: modern toolchains write UTF-8, and without it browsers fall
// back to a locale-dependent guess.
constexpr std::pair<std::string_view, std::string_view> kBuiltIn[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"xml", "application/xml"},
    {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"eot", "application/vnd.ms-fontobject"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"br", "application/octet-stream"},
    {"tar", "application/x-tar"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogg", "audio/ogg"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"m4a", "audio/mp4"},
    {"vtt", "text/vtt; charset=utf-8"},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = ascii::toLower(c);
  return out;
}

}  // namespace

ContentTypes::ContentTypes(const std::vector<std::pair<std::string, std::string>>& overrides) {
  for (const auto& [ext, type] : kBuiltIn)
    types_.emplace(std::string(ext), std::string(type));
  for (const auto& [ext, type] : overrides)
    types_[lower(ext)] = type;
}

std::string_view ContentTypes::lookup(std::string_view file_name) const {
  size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return kDefault;
  auto it = types_.find(lower(file_name.substr(dot + 1)));
  return it == types_.end() ? kDefault : std::string_view(it->second);
}

}  // namespace gatehouse::static_files
