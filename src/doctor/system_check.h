// `privbind doctor` without a target: the system privbind runs on.
#pragma once

#include "doctor/model.h"

namespace privbind::doctor::syscheck {

// Kernel, ambient capabilities, ip_unprivileged_port_start, privbind's own capabilities,
// no_new_privs, seccomp, and the preload library. Adds findings to report.
void system(Report& report);

// Whether cgroup mode works on this host, as privbind itself would find out
// (cgroupmode::probe(): the programs are loaded, then closed; nothing on the host changes).
ModeVerdict cgroupMode();

}  // namespace privbind::doctor::syscheck
