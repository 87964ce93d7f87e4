#include "doctor/file_caps.h"

#include <sys/statvfs.h>
#include <sys/xattr.h>

#include "common/caps.h"

namespace privbind::doctor::filecaps {

FileCaps read(const std::string& path) {
  FileCaps fc;
  CapPtr caps(cap_get_file(path.c_str()));
  if (!caps) {
    // An xattr libcap cannot parse is one the kernel rejects as well: get_vfs_caps_from_disk()
    // says EINVAL, and execve(2) fails with it.
    if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0) {
      fc.malformed = true;
      fc.text = "(malformed security.capability)";
    }
    return fc;
  }
  int last = caps::lastCap();
  for (cap_value_t c = 0; c <= last && c < 64; ++c) {
    cap_flag_value_t p = CAP_CLEAR, e = CAP_CLEAR, i = CAP_CLEAR;
    cap_get_flag(caps.get(), c, CAP_PERMITTED, &p);
    cap_get_flag(caps.get(), c, CAP_EFFECTIVE, &e);
    cap_get_flag(caps.get(), c, CAP_INHERITABLE, &i);
    if (p == CAP_SET) fc.permitted |= uint64_t{1} << c;
    if (i == CAP_SET) fc.inheritable |= uint64_t{1} << c;
    // The file has one effective bit; libcap shows it on every capability of fP | fI.
    if (e == CAP_SET) fc.effective = true;
  }
  fc.anyPermitted = fc.permitted != 0;
  fc.netBind = (fc.permitted & caps::bit(caps::kNetBindService)) != 0;
  char* text = cap_to_text(caps.get(), nullptr);
  if (text) {
    fc.text = text;
    cap_free(text);
  }
  if (fc.text == "=" || fc.text.empty()) return FileCaps{};
  // A version 3 xattr names the uid that is root of the user namespace it is for; the kernel
  // reports it to us in our namespace's terms, and applies it only when that uid is our root
  // (rootid_owns_currentns()): anything but 0 here is ignored on execve(2).
  if (uid_t owner = cap_get_nsowner(caps.get()); owner != 0 && owner != static_cast<uid_t>(-1))
    fc.ignoredWhy =
        "they are a version 3 capability xattr for the user namespace whose root is "
        "uid " +
        std::to_string(owner) +
        " (setcap -n), which is not this namespace: the kernel ignores them here";
  // nosuid: execve(2) ignores file capabilities as it ignores set-user-ID bits
  // (mnt_may_suid() in get_file_caps()).
  struct statvfs vfs {};
  if (fc.ignoredWhy.empty() && statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
    fc.ignoredWhy =
        "the file lies on a file system mounted nosuid, where the kernel ignores "
        "file capabilities";
  return fc;
}

}  // namespace privbind::doctor::filecaps
