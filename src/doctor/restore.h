// The original of a file that --fix rewrites: kept before the first change, put back when the
// fix fails, so that a failed --fix leaves the file exactly as it found it.
#pragma once

#include <sys/stat.h>

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::doctor::restore {

struct Original {
  std::string path;    // the file being fixed
  std::string backup;  // FILE.privbind-orig, created by keep()
  struct stat st {};   // owner, group and mode before any change
  std::string caps;    // its file capabilities before any change
  UniqueFd fd;         // the backup, kept open: a restore reads this inode, never a name
  dev_t dev = 0;       // the backup's inode, to remove it only while the name is still ours
  ino_t ino = 0;
};

// Copies path to backup byte for byte with its owner and mode minus setuid/setgid and without
// file capabilities (a backup must not be a second privileged program). The backup is created
// with O_CREAT|O_EXCL|O_NOFOLLOW: whatever already exists under that name (a file, a symlink,
// planted by someone else in a sticky directory) is never opened, adopted or overwritten.
// Needs: read access to path, write access to its directory. Leaves: backup, nothing else.
Result<Original> keep(const std::string& path, const std::string& backup, const struct stat& st,
                      const std::string& caps);

// Puts the original back: a new file created next to it (O_EXCL) gets the saved bytes, owner,
// group, mode and file capabilities, is synced and renamed over path (rename(2) is atomic, so
// path is never missing or half written). Then reads the result back (bytes, owner, mode,
// getcap's view) and removes the backup if its name still holds the inode keep() made.
// Needs: root for chown and the capabilities (CAP_CHOWN, CAP_FOWNER, CAP_SETFCAP).
Status putBack(Original& original);

}  // namespace privbind::doctor::restore
