// Capability sets, the bounding set and ambient capabilities (capabilities(7)), through libcap.
#pragma once

#include <sys/capability.h>

#include <cstdint>
#include <string>

#include "common/error.h"

namespace privbind::caps {

inline constexpr cap_value_t kNetBindService = CAP_NET_BIND_SERVICE;

constexpr uint64_t bit(cap_value_t cap) { return uint64_t{1} << cap; }

// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int lastCap();
bool inBounding(cap_value_t cap);
// Ambient capabilities exist since Linux 4.3; older kernels answer EINVAL.
bool ambientSupported();
// Whether the calling thread has cap in its effective set.
Result<bool> hasEffective(cap_value_t cap);

// PR_CAPBSET_DROP every capability up to last that is not in keep. Needs CAP_SETPCAP.
Status shrinkBounding(uint64_t keep, int last);
// capset(2): cap joins the effective set; the other sets stay. It must be permitted.
Status raiseEffective(cap_value_t cap);
// capset(2): permitted and effective = keep, inheritable = inheritable.
Status setSets(uint64_t keep, uint64_t inheritable, int last);
Status clearAmbient();
Status raiseAmbient(cap_value_t cap);

// "cap_net_bind_service,cap_setuid", or "none".
std::string names(uint64_t mask, int last);

}  // namespace privbind::caps
