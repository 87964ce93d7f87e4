// Judging one resolved target: does it start as an ordinary user, which privbind mode reaches
// its binds, what is wrong and what to run. "Why did doctor say X" is answered here.
#pragma once

#include "common/error.h"
#include "common/ids.h"
#include "doctor/loader.h"
#include "doctor/model.h"

namespace privbind::doctor::verdicts {

// What the judgement depends on besides the file.
struct Context {
  const loader::Host& host;
  ids::Target as;      // the user the service runs as (doctor -u, or an ordinary user)
  ModeVerdict cgroup;  // whether cgroup mode works on this host (syscheck::cgroupMode)
};

// Reads and judges the resolved binary; adds findings to report. An Error when it cannot be
// inspected at all (unreadable to doctor, a malformed ELF file...). A file execve(2) refuses is
// judged (it starts nowhere); one doctor cannot tell about is not (checked false, a problem).
Status judge(BinaryReport& bin, const Context& ctx, Report& report);

}  // namespace privbind::doctor::verdicts
