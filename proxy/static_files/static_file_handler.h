#pragma once
// Answers a GET or HEAD under a static prefix from the site's folder: path checks
// (path_resolver.h), hashed and plain names (asset_versions.h), validators and 304, one byte
// range (both by http/'s rules, as the cache's hits), precompressed siblings, then the body:
//   - HTTP/1 over plain TCP, or over TLS that the kernel encrypts (kTLS): one
//     evbuffer_file_segment, which TcpConnection writes with sendfile(2): the bytes never enter
//     user space;
//   - TLS in user space or HTTP/2: pread() in 64 KiB chunks into the response, paused while the
//     downstream is above its high watermark and resumed by onDownstreamDrained(). File
//     segments would break both (SSL_write and the HTTP/2 framer read buffer memory).
// Each body is counted by the path it took (BodyPath, gatehouse_static_bodies_total).

#include <memory>
#include <string>

#include "proxy/http/exchange.h"
#include "proxy/static_files/open_file_cache.h"
#include "proxy/static_files/static_counters.h"

namespace gatehouse::static_files {

class StaticFileHandler final : public http::Handler {
 public:
  static constexpr size_t kReadChunk = 64 * 1024;

  // `cache` belongs to the worker and outlives start(); it is not used afterwards.
  StaticFileHandler(http::Exchange& exchange, OpenFileCache& cache)
      : exchange_(exchange), cache_(cache), site_(cache.sitePtr()) {}

  void start();

  void onRequestBody(evbuffer* data) override { evbuffer_drain(data, evbuffer_get_length(data)); }
  void onRequestEnd() override {}
  void onDownstreamDrained() override { pump(); }
  void onDownstreamReset() override {
    done_ = true;
    file_.reset();
  }

 private:
  struct Representation;
  bool serveHashed(const std::string& relative);
  void serveFile(const std::string& relative, bool trailing_slash);
  void serveManifest();
  void send(Representation rep);
  void refuse(int status, Decision reason, std::string_view why);
  void pump();

  http::Exchange& exchange_;
  OpenFileCache& cache_;
  std::shared_ptr<const StaticSite> site_;
  // The body being streamed by pread.
  std::shared_ptr<const OpenFile> file_;
  uint64_t offset_ = 0;
  uint64_t remaining_ = 0;
  bool pumping_ = false;
  bool done_ = false;
};

}  // namespace gatehouse::static_files
