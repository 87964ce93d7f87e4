#include "doctor/writers.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "doctor/tools.h"

namespace privbind::doctor::writers {

using tools::dirOf;

std::string untrustedWriter(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return path + ": " + strerror(errno);
  if (st.st_uid != 0) return path + " is owned by uid " + std::to_string(st.st_uid);
  if (st.st_mode & 022) return path + " is writable by its group or by others";
  std::string dir = path;
  while (dir != "/" && !dir.empty()) {
    dir = dirOf(dir);
    struct stat d {};
    if (lstat(dir.c_str(), &d) != 0) return dir + ": " + strerror(errno);
    if (d.st_uid != 0) return dir + " is owned by uid " + std::to_string(d.st_uid);
    if ((d.st_mode & 022) && !(d.st_mode & S_ISVTX))
      return dir + " is writable by its group or by others";
  }
  return "";
}

}  // namespace privbind::doctor::writers
