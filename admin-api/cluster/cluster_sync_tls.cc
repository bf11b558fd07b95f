// rediss://: hiredis 0.14 has no TLS, so every connection attempt (the load at start and each
// asynchronous one) goes through a net::TlsBridge built from cluster.tls' files.
#include <fmt/format.h>

#include "admin-api/cluster/cluster_sync.h"
#include "proxy/base/log.h"

namespace gatehouse::cluster {

Result<net::SslCtxPtr> makeRedisTlsContext(const config::ClusterConfig& config) {
  const config::ClusterTlsConfig& tls = config.tls;
  return net::makeTlsClientContext(
      {tls.ca_file, tls.cert_file, tls.key_file, tls.ca_origin, tls.cert_origin, tls.key_origin});
}

Result<net::SslCtxPtr> ClusterSync::tlsContext() const {
  return makeRedisTlsContext(config_);
}

void ClusterSync::reloadTlsFiles() {
  // Read again at each attempt, so that a renewed certificate or CA is used from the next
  // connection on without a restart; one that cannot be used now keeps the last good context.
  auto ctx = tlsContext();
  if (ctx) {
    tls_ctx_ = std::move(*ctx);
    tls_files_error_.clear();
  } else if (ctx.error().message != tls_files_error_) {
    tls_files_error_ = ctx.error().message;
    log::error("cluster: {}; keeping the certificates read before", tls_files_error_);
  }
}

net::TlsBridge::Target ClusterSync::tlsTarget() const {
  return {config_.host, config_.port, config_.tls.server_name};
}

std::string ClusterSync::tlsDescription() const {
  return fmt::format(
      "certificate checked for {}, CAs from {}{}",
      config_.tls.server_name.empty() ? config_.host : config_.tls.server_name,
      config_.tls.ca_file.empty() ? "the system" : config_.tls.ca_file,
      config_.tls.cert_file.empty() ? "" : ", client certificate " + config_.tls.cert_file);
}

}  // namespace gatehouse::cluster
