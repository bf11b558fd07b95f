#pragma once
// A worker's entry point to static files: which prefix a request falls under, and that site's
// open-file cache (one per worker and site, so no locks). The pipeline asks it first, before
// any route (INTERFACE.md: static prefixes are matched before routes), in file order.

#include <memory>
#include <vector>

#include "proxy/http/exchange.h"
#include "proxy/static_files/open_file_cache.h"
#include "proxy/static_files/static_site.h"

namespace gatehouse::static_files {

class StaticFiles {
 public:
  // A reload: the sites of the new snapshot, with fresh caches.
  void update(const std::vector<std::shared_ptr<const StaticSite>>& sites);

  // Attaches and starts a StaticFileHandler when the path is under a static prefix; returns
  // false (and leaves the exchange alone) otherwise.
  bool dispatch(http::Exchange& exchange);

 private:
  std::vector<std::unique_ptr<OpenFileCache>> caches_;
};

}  // namespace gatehouse::static_files
