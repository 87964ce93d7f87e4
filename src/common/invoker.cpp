#include "common/invoker.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <string>

namespace privbind::invoker {

Status refuseSecureExecution() {
  // The kernel sets AT_SECURE when exec raised privilege: a set-user-ID or set-group-ID file, or
  // file capabilities that add to what the caller had (capabilities(7)); getauxval(3).
  if (getauxval(AT_SECURE) != 0)
    return Error::refuse("secure-execution mode",
                         "privbind is installed setuid, setgid or with file capabilities and "
                         "refuses to run that way; remove them (chmod u-s,g-s, setcap -r) and run "
                         "it as root");
  return {};
}

Status requireRealRoot() {
  uid_t uid = getuid();
  if (uid != 0)
    return Error::refuse("not run by root",
                         "real uid is " + std::to_string(uid) +
                             "; privbind starts commands as another user only for root");
  return {};
}

}  // namespace privbind::invoker
