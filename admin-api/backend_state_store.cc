#include "admin-api/backend_state_store.h"

namespace gatehouse::admin {

void saveBackendStates(const server::ProcessControl&) {
  // Persistence arrives with the state_file module.
}

}  // namespace gatehouse::admin
