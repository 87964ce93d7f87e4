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
};

// Reads the capabilities of path; an empty FileCaps when it has none (or they cannot be read).
FileCaps read(const std::string& path);

}  // namespace privbind::doctor::filecaps
