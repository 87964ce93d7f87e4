#include "modes/broker/broker_mode.h"

namespace privbind::broker {

Error run(const LaunchOptions&) {
  return Error::refuse("broker mode", "not available in this build yet; use --mode=caps");
}

}  // namespace privbind::broker
