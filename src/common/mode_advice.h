// Which mode to recommend when the one asked for cannot serve: the least privilege that works on
// this host. cgroup mode first (the command holds no capability, no library is loaded into it),
// caps mode only where cgroup mode is not available (the command then holds
// CAP_NET_BIND_SERVICE itself). One wording for every message that gives the advice: broker
// mode's refusals, -v's fallback line, and doctor's.
#pragma once

#include <string>

#include "common/error.h"

namespace privbind::advice {

// cgroup mode's own check of this host (cgroupmode::probe(): loads the programs, creates
// nothing). Registered by main(): common/ depends on no mode.
using Probe = Status (*)();
void setCgroupProbe(Probe probe);

// The recommendation given the outcome of cgroup mode's probe:
//   ok:     "use --mode=cgroup (no capability, no preload library)"
//   failed: "use --mode=caps (cgroup mode is not available here: <why>)"
// Pure: for callers that ran the probe themselves (doctor).
std::string modeInsteadOfBroker(const Status& cgroupProbe);

// The same, running the registered probe once per process (its outcome is kept). With no probe
// registered, caps mode is recommended without a reason.
std::string modeInsteadOfBroker();

}  // namespace privbind::advice
