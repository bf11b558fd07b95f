#include "proxy/net/evbuffer_reference.h"

namespace gatehouse::net {
namespace {

// evbuffer_add_reference's cleanup: drops the reference that kept the bytes alive.
void releaseOwner(const void*, size_t, void* holder) {
  delete static_cast<std::shared_ptr<const void>*>(holder);
}

}  // namespace

bool addSharedReference(evbuffer* buffer, std::string_view bytes,
                        std::shared_ptr<const void> owner) {
  auto holder = std::make_unique<std::shared_ptr<const void>>(std::move(owner));
  if (evbuffer_add_reference(buffer, bytes.data(), bytes.size(), releaseOwner, holder.get()) != 0)
    return false;
  holder.release();  // libevent owns it now and hands it to releaseOwner
  return true;
}

}  // namespace gatehouse::net
