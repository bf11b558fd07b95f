#pragma once
// Zero-copy bodies: bytes appended to an evbuffer by reference (evbuffer_add_reference), kept
// alive by a shared owner until libevent is done with them, however long the write takes and
// whatever the owner's other holders do meanwhile (a cache purge, a file cache drop).

#include <event2/buffer.h>

#include <memory>
#include <string_view>

namespace gatehouse::net {

// Appends `bytes` to `buffer` without copying them; `owner` must keep them valid and unchanged,
// and the buffer holds it until the bytes are drained or the buffer is freed. False when libevent
// refused (no memory): nothing was appended and the owner's reference is dropped at once.
bool addSharedReference(evbuffer* buffer, std::string_view bytes,
                        std::shared_ptr<const void> owner);

}  // namespace gatehouse::net
