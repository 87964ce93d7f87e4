#include "common/cgroup_access.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/caps.h"

namespace privbind::cgroupaccess {

Error cannotCreateIn(const std::string& dir, int err) {
  Error plain = Error::fromErrno("access(" + dir + ", W_OK)", err);
  struct stat st {};
  if (err != EACCES || stat(dir.c_str(), &st) != 0) {
    if (err == EROFS) return Error::refuse(dir, "the cgroup v2 file system is mounted read-only");
    return plain;
  }
  // mkdir(2) in a directory needs write and search permission on it (path_resolution(7));
  // without them by the mode bits, root has them only through CAP_DAC_OVERRIDE.
  const bool owner = st.st_uid == geteuid();
  const mode_t need = owner ? (S_IWUSR | S_IXUSR) : (S_IWOTH | S_IXOTH);
  if ((st.st_mode & need) == need) return plain;  // something else refused: an ACL, an LSM
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  std::string what = std::string("mode ") + mode + ", owned by " +
                     (st.st_uid == 0 ? std::string("root") : "uid " + std::to_string(st.st_uid)) +
                     ": creating a cgroup there needs CAP_DAC_OVERRIDE";
  if (!caps::inBounding(CAP_DAC_OVERRIDE))
    return Error::refuse(dir, what +
                                  ", which is not in privbind's bounding set; add it there (a "
                                  "systemd unit's CapabilityBoundingSet=, capsh --drop=..., a "
                                  "container's --cap-add)");
  return Error::refuse(dir, what +
                                ", which privbind does not hold in its effective set; run it as "
                                "root with its capabilities");
}

}  // namespace privbind::cgroupaccess
