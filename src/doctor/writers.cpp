#include "doctor/writers.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

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

namespace {

// entryWriter() for one spelling of the path, walked from the entry up to '/'.
std::string pathWriter(const std::string& entry) {
  bool childMissing = false;  // the component below cur does not exist: cur's writers create it
  for (std::string cur = entry;; cur = dirOf(cur)) {
    struct stat st {};
    bool leaf = cur == entry;
    if (lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return cur + ": " + strerror(errno);
      childMissing = true;
    } else {
      if (st.st_uid != 0) return cur + " is owned by uid " + std::to_string(st.st_uid);
      // A symlink's own mode means nothing; where it leads is checked through realpath(3).
      bool sticky = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
      if (!S_ISLNK(st.st_mode) && (st.st_mode & 022) && (!sticky || leaf || childMissing))
        return cur + " is writable by its group or by others" +
               (childMissing ? std::string(", and a directory below it does not exist yet")
                             : std::string());
      childMissing = false;
    }
    if (cur == "/" || cur.empty() || cur == ".") return "";
  }
}

}  // namespace

std::string entryWriter(const std::string& entry) {
  if (std::string who = pathWriter(entry); !who.empty()) return who;
  if (std::string real = tools::realPathOr(entry); real != entry) return pathWriter(real);
  return "";
}

}  // namespace privbind::doctor::writers
