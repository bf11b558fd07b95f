#include "proxy/static_files/static_files.h"

#include "proxy/static_files/static_file_handler.h"

namespace gatehouse::static_files {

void StaticFiles::update(const std::vector<std::shared_ptr<const StaticSite>>& sites) {
  caches_.clear();
  for (const auto& site : sites)
    caches_.push_back(std::make_unique<OpenFileCache>(site));
}

bool StaticFiles::dispatch(http::Exchange& exchange) {
  const std::string_view path = exchange.request().path();
  for (const auto& cache : caches_) {
    if (!path.starts_with(cache->site().config().prefix)) continue;
    auto handler = std::make_unique<StaticFileHandler>(exchange, *cache);
    StaticFileHandler* raw = handler.get();
    exchange.setHandler(std::move(handler));
    raw->start();
    return true;
  }
  return false;
}

}  // namespace gatehouse::static_files
