#include "proxy/static_files/static_file_handler.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "proxy/http/byte_range.h"
#include "proxy/http/conditional.h"
#include "proxy/net/evbuffer_reference.h"
#include "proxy/net/libevent_ptr.h"
#include "proxy/static_files/asset_versions.h"
#include "proxy/static_files/path_resolver.h"
#include "proxy/static_files/precompressed.h"

namespace gatehouse::static_files {
namespace {

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

bool sameVersion(const AssetVersion& v, const struct stat& st) {
  return v.dev == st.st_dev && v.ino == st.st_ino && v.size == st.st_size &&
         v.mtime_ns == static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool keptLongEnough(const struct stat& st, Duration keep) {
  const auto keep_s = std::chrono::duration_cast<std::chrono::seconds>(keep).count();
  return st.st_mtim.tv_sec + keep_s >= std::time(nullptr);
}

}  // namespace

// What goes out: the file (or its sibling), and the fields that describe it.
struct StaticFileHandler::Representation {
  std::shared_ptr<const OpenFile> file;  // the plain file; siblings hang off it
  std::string etag;                      // of the identity representation
  std::string_view content_type;
  std::string_view cache_control;  // empty: none
  Decision decision = Decision::Served;
  bool allow_siblings = true;
};

void StaticFileHandler::refuse(int status, Decision reason, std::string_view why) {
  count(reason);
  exchange_.respondError(status, why);
}

void StaticFileHandler::start() {
  const http::RequestHead& request = exchange_.request();
  const config::StaticConfig& config = site_->config();
  if (request.method != "GET" && request.method != "HEAD") {
    count(Decision::MethodNotAllowed);
    http::ResponseHead head;
    head.status = 405;
    head.headers.add("Allow", "GET, HEAD");
    head.content_length = 0;
    exchange_.respondHead(head);
    exchange_.respondEnd();
    return;
  }
  const std::string_view path = request.path();
  if (!config.manifest.empty() && path == config.manifest) return serveManifest();
  auto resolved = resolvePath(path.substr(config.prefix.size()), {config.dotfiles});
  if (auto* refusal = std::get_if<Refusal>(&resolved)) {
    return refuse(refusal->status, refusal->reason,
                  refusal->status == 404 ? "No such file." : "This path is not allowed.");
  }
  const ResolvedPath& target = std::get<ResolvedPath>(resolved);
  if (config.versioned && serveHashed(target.relative)) return;
  serveFile(target.relative, target.trailing_slash);
}

// A hashed name of a versioned file. False when the plain name is no versioned file: the URL
// may name a real file that merely looks hashed.
bool StaticFileHandler::serveHashed(const std::string& relative) {
  auto hashed = parseHashedName(relative);
  if (!hashed) return false;
  const config::StaticConfig& config = site_->config();
  auto current = site_->current(hashed->plain);
  if (!current) return false;
  const bool keep = config.keep_versions.count() > 0;
  Representation rep;
  rep.etag = fmt::format("\"{}\"", hashed->hash);
  rep.content_type = site_->types().lookup(hashed->plain);
  rep.cache_control = kImmutable;
  if (current->hash == hashed->hash) {
    // The live file while it is still the version hashed; else the copy made when hashing.
    Lookup live = cache_.live(hashed->plain);
    if (live.file && sameVersion(*current, live.file->st)) {
      rep.file = live.file;
    } else if (keep) {
      Lookup copy = cache_.archived(relative);
      if (copy.file && S_ISREG(copy.file->st.st_mode)) rep.file = copy.file;
      rep.allow_siblings = false;
    }
    rep.decision = Decision::ServedHashed;
  } else if (keep) {
    Lookup copy = cache_.archived(relative);
    if (copy.file && S_ISREG(copy.file->st.st_mode) &&
        keptLongEnough(copy.file->st, config.keep_versions))
      rep.file = copy.file;
    rep.allow_siblings = false;
    rep.decision = Decision::ServedOldVersion;
  }
  if (!rep.file) {
    refuse(404, Decision::UnknownHash, "No such version of this file.");
    return true;
  }
  send(std::move(rep));
  return true;
}

void StaticFileHandler::serveFile(const std::string& relative, bool trailing_slash) {
  const config::StaticConfig& config = site_->config();
  Lookup found = cache_.live(relative);
  std::string name = relative;
  if (found.file && S_ISDIR(found.file->st.st_mode)) {
    if (config.index.empty()) return refuse(404, Decision::NotFound, "No such file.");
    if (!trailing_slash && !relative.empty()) {
      // A folder's index links relative to the folder: send the client to "name/".
      http::ResponseHead head;
      head.status = 301;
      // The path as the client wrote it (still percent-encoded), so Location is a valid URL.
      head.headers.add("Location", fmt::format("{}/", exchange_.request().path()));
      head.content_length = 0;
      exchange_.respondHead(head);
      exchange_.respondEnd();
      count(Decision::FolderRedirect);
      return;
    }
    name = relative.empty() ? config.index : relative + "/" + config.index;
    found = cache_.live(name);
  }
  if (found.outcome == OpenOutcome::SymlinkEscape)
    return refuse(404, Decision::RefusedSymlink, "No such file.");
  if (!found.file || !S_ISREG(found.file->st.st_mode))
    return refuse(404, Decision::NotFound, "No such file.");
  Representation rep;
  rep.file = found.file;
  rep.content_type = site_->types().lookup(name);
  rep.etag = found.file->etag;
  if (config.versioned) {
    // Browsers revalidate plain names; the content hash is the ETag when it is current, so
    // every server of a fleet answers the same one.
    rep.cache_control = "no-cache";
    auto current = site_->current(name);
    if (current && sameVersion(*current, found.file->st))
      rep.etag = fmt::format("\"{}\"", current->hash);
  }
  send(std::move(rep));
}

void StaticFileHandler::serveManifest() {
  count(Decision::Manifest);
  auto manifest = site_->manifest();
  const std::string body = manifest ? *manifest : std::string("{}\n");
  const std::string etag = fmt::format("\"{}\"", hashBytes(body));
  http::ResponseHead head;
  head.headers.add("Content-Type", "application/json");
  head.headers.add("Cache-Control", "no-cache");
  head.headers.add("ETag", etag);
  // No Last-Modified: If-Modified-Since cannot match, only the ETag can.
  if (http::isNotModified(exchange_.request().headers, {etag, {}})) {
    head.status = 304;
    head.has_body = false;
    exchange_.respondHead(head);
    exchange_.respondEnd();
    return;
  }
  exchange_.respondWhole(std::move(head), body);
}

void StaticFileHandler::send(Representation rep) {
  const http::RequestHead& request = exchange_.request();
  const bool head_only = request.method == "HEAD";
  std::shared_ptr<const OpenFile> body = rep.file;
  std::string etag = rep.etag;
  std::string_view encoding;
  const bool has_siblings = rep.allow_siblings && (rep.file->br || rep.file->gz);
  if (has_siblings) {
    switch (chooseEncoding(request.headers, rep.file->br != nullptr, rep.file->gz != nullptr)) {
      case Encoding::Brotli:
        body = rep.file->br, encoding = "br";
        break;
      case Encoding::Gzip:
        body = rep.file->gz, encoding = "gzip";
        break;
      case Encoding::Identity:
        break;
    }
    // Each encoding is its own representation with its own ETag (RFC 9110 §8.8.3).
    if (!encoding.empty()) {
      etag.insert(etag.size() - 1, fmt::format("-{}", encoding == "br" ? "br" : "gz"));
      count(Decision::ServedPrecompressed);
    }
  }
  const uint64_t size = static_cast<uint64_t>(body->st.st_size);
  http::ResponseHead head;
  head.headers.add("Content-Type", rep.content_type);
  head.headers.add("Last-Modified", rep.file->last_modified);
  head.headers.add("ETag", etag);
  if (!rep.cache_control.empty()) head.headers.add("Cache-Control", rep.cache_control);
  if (has_siblings) head.headers.add("Vary", "Accept-Encoding");
  if (!encoding.empty()) head.headers.add("Content-Encoding", encoding);
  head.headers.add("Accept-Ranges", "bytes");
  head.headers.add("X-Content-Type-Options", "nosniff");

  const http::Validators validators{etag, rep.file->last_modified};
  if (http::isNotModified(request.headers, validators)) {
    count(Decision::NotModified);
    head.status = 304;
    head.has_body = false;
    head.headers.remove("Content-Type");
    head.headers.remove("Accept-Ranges");
    exchange_.respondHead(head);
    exchange_.respondEnd();
    return;
  }
  uint64_t first = 0, length = size;
  std::string_view range_header = request.headers.get("range");
  if (!range_header.empty() && request.method == "GET" &&
      http::ifRangeAllows(request.headers, validators)) {
    const http::RangeRequest range = http::parseRange(range_header, size);
    if (range.kind == http::RangeKind::Unsatisfiable) {
      count(Decision::RangeNotSatisfiable);
      head.status = 416;
      head.headers.add("Content-Range", fmt::format("bytes */{}", size));
      head.content_length = 0;
      exchange_.respondHead(head);
      exchange_.respondEnd();
      return;
    }
    if (range.kind == http::RangeKind::Single) {
      head.status = 206;
      first = range.range.first;
      length = range.range.length();
      head.headers.add("Content-Range",
                       fmt::format("bytes {}-{}/{}", range.range.first, range.range.last, size));
      rep.decision = Decision::Partial;
    } else if (range.kind == http::RangeKind::Multiple) {
      count(Decision::MultiRangeAsWhole);
    }
  }
  count(head_only ? Decision::Head : rep.decision);
  head.content_length = length;
  exchange_.respondHead(head);
  if (head_only || length == 0) {
    exchange_.respondEnd();
    return;
  }
  if (body->inlined) {
    // Zero-copy from the cached bytes; the reference keeps the file's entry alive until the
    // bytes are written, even if the cache drops it meanwhile.
    net::EvbufferPtr buf = net::makeEvbuffer();
    const std::string_view bytes(body->content.data() + first, length);
    if (!net::addSharedReference(buf.get(), bytes, body)) {
      exchange_.abort();
      return;
    }
    count(BodyPath::Memory);
    exchange_.respondBody(buf.get());
    exchange_.respondEnd();
    return;
  }
  if (body->segment && exchange_.canSendFile()) {
    net::EvbufferPtr buf = net::makeEvbuffer();
    evbuffer_set_flags(buf.get(), EVBUFFER_FLAG_DRAINS_TO_FD);
    if (evbuffer_add_file_segment(buf.get(), body->segment, static_cast<ev_off_t>(first),
                                  static_cast<ev_off_t>(length)) == 0) {
      count(exchange_.client().tls ? BodyPath::KtlsSendfile : BodyPath::Sendfile);
      exchange_.respondBody(buf.get());
      exchange_.respondEnd();
      return;
    }
  }
  count(BodyPath::Userspace);
  file_ = std::move(body);
  offset_ = first;
  remaining_ = length;
  pump();
}

void StaticFileHandler::pump() {
  if (pumping_ || done_ || !file_) return;
  pumping_ = true;
  while (remaining_ > 0 && !exchange_.downstreamFull()) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, kReadChunk));
    net::EvbufferPtr buf = net::makeEvbuffer();
    evbuffer_iovec vec;
    if (evbuffer_reserve_space(buf.get(), static_cast<ev_ssize_t>(want), &vec, 1) != 1) break;
    ssize_t n = ::pread(file_->fd, vec.iov_base, want, static_cast<off_t>(offset_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The file shrank under us (an in-place deploy) or failed: the promised length cannot
      // be kept, so the response is cut and the connection closed.
      count(Decision::ReadError);
      done_ = true;
      file_.reset();
      pumping_ = false;
      exchange_.abort();
      return;
    }
    vec.iov_len = static_cast<size_t>(n);
    evbuffer_commit_space(buf.get(), &vec, 1);
    offset_ += static_cast<uint64_t>(n);
    remaining_ -= static_cast<uint64_t>(n);
    exchange_.respondBody(buf.get());
    if (done_) break;  // the client went away meanwhile
  }
  pumping_ = false;
  if (remaining_ == 0 && !done_) {
    done_ = true;
    file_.reset();
    exchange_.respondEnd();
  }
}

}  // namespace gatehouse::static_files
