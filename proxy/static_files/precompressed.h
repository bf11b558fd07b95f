#pragma once
// Which precompressed sibling to send (name.br, name.gz) for a request's Accept-Encoding
// (RFC 9110 §12.5.3): brotli first (smaller), then gzip; a coding with q=0 is refused, "*"
// stands for codings not listed. Without Accept-Encoding, identity.

#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::static_files {

enum class Encoding { Identity, Brotli, Gzip };

// True if the Accept-Encoding field values allow `coding` ("br", "gzip").
bool acceptsCoding(const http::HeaderMap& request, std::string_view coding);

Encoding chooseEncoding(const http::HeaderMap& request, bool have_br, bool have_gz);

}  // namespace gatehouse::static_files
