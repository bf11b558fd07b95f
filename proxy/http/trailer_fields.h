#pragma once
// Which fields may travel in a trailer section (RFC 9110 §6.5.1). A field that must be known
// before the content (framing, routing, authentication, request modifiers, response controls,
// anything about the content) is meaningless after it, and dangerous at a backend that merges
// trailers into the head (many frameworks do): gatehouse checked or set those fields in the head,
// never in the trailers. The codecs drop them from request trailers before a backend sees them.
// Pure: no I/O, used by both codecs.

#include <cstddef>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::http {

// False for the fields listed in trailer_fields.cc and for every content-* field; names in any
// case.
bool allowedInTrailers(std::string_view name);

// Removes the fields not allowedInTrailers(); returns how many it removed.
size_t removeDisallowedTrailers(HeaderMap& trailers);

}  // namespace gatehouse::http
