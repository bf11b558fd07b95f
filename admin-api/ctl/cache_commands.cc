// `ctl purge URL`, `ctl ban PREFIX`, `ctl ban-tag TAG`: the cache's invalidation endpoints.
#include <fmt/format.h>

#include "admin-api/ctl/ctl_command.h"

namespace gatehouse::admin {
namespace {

std::string jsonString(const std::string& field, const std::string& value) {
  return nlohmann::json{{field, value}}.dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

std::string renderPurged(const nlohmann::json& answer) {
  return fmt::format("purged {} objects\n", answer.value("purged", 0));
}

// Nothing purged is worth a non-zero exit: a script's purge that never matches is a bug (often
// the URL's scheme, host or port; the hint says what is cached under that path).
int nothingPurged(const nlohmann::json& answer) {
  if (answer.value("purged", 0) != 0) return CtlCommand::kDone;
  const std::string hint =
      answer.is_object() && answer.contains("hint") && answer["hint"].is_string()
          ? answer["hint"].get<std::string>()
          : std::string("nothing matched");
  fmt::print(stderr, "gatehouse ctl: nothing purged: {}\n", hint);
  return CtlCommand::kFailed;
}

}  // namespace

void CtlCommand::addCacheCommands() {
  add(
      *ctl_, "purge", "remove one URL (all its variants) from the cache", "POST",
      [] { return "/cache/purge"; }, [this] { return jsonString("url", purge_url_); }, renderPurged)
      ->add_option("URL", purge_url_, "absolute URL: https://host/path?query")
      ->required();
  commands_.back().verdict = nothingPurged;
  add(
      *ctl_, "ban", "remove every cached URL whose path starts with PREFIX", "POST",
      [] { return "/cache/ban"; }, [this] { return jsonString("prefix", ban_prefix_); },
      renderPurged)
      ->add_option("PREFIX", ban_prefix_, "URL path prefix, e.g. /blog/")
      ->required();
  commands_.back().verdict = nothingPurged;
  add(
      *ctl_, "ban-tag", "remove every cached object tagged TAG (Surrogate-Key / Cache-Tag)", "POST",
      [] { return "/cache/ban"; }, [this] { return jsonString("tag", ban_tag_); }, renderPurged)
      ->add_option("TAG", ban_tag_, "a tag from the responses' Surrogate-Key or Cache-Tag")
      ->required();
  commands_.back().verdict = nothingPurged;
}

}  // namespace gatehouse::admin
