#include "modes/cgroup/policy.h"

namespace privbind::cgroupmode {

PortWords portWords(const ports::PortSet& set) {
  PortWords words{};
  for (uint32_t port = 0; port < 65536; ++port)
    if (set.contains(static_cast<uint16_t>(port))) words[port / 64] |= uint64_t{1} << (port % 64);
  return words;
}

}  // namespace privbind::cgroupmode
