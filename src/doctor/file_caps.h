// A file's capabilities (security.capability) as setcap(8) writes them, and what they mean for
// execve(2) (capabilities(7), "Transformation of capabilities during execve()").
#pragma once

#include <sys/capability.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

namespace privbind::doctor::filecaps {

// A libcap object (cap_t) freed with cap_free(3).
struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

struct FileCaps {
  std::string text;           // cap_to_text, empty when the file has none
  uint64_t permitted = 0;     // fP
  uint64_t inheritable = 0;   // fI
  bool effective = false;     // the file's effective bit (fE)
  bool anyPermitted = false;  // fP is not empty
  bool netBind = false;       // cap_net_bind_service in fP
  // The kernel does not apply them at all (get_file_caps in security/commoncap.c), and why:
  // empty when it does. The fields above still say what the xattr holds.
  std::string ignoredWhy;
  // security.capability is there but not a valid capability xattr: execve(2) fails (EINVAL).
  bool malformed = false;
};

// Reads the capabilities of path; an empty FileCaps when it has none (or they cannot be read).
// Sets ignoredWhy for capabilities the kernel ignores on execve(2): on a nosuid mount, or a
// version 3 xattr whose root uid (setcap -n) is not root of this user namespace.
FileCaps read(const std::string& path);

}  // namespace privbind::doctor::filecaps
