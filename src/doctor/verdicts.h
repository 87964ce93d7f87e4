// Judging one resolved target: does it start as an ordinary user, which privbind mode reaches
// its binds, what is wrong and what to run. "Why did doctor say X" is answered here.
#pragma once

#include "common/error.h"
#include "doctor/loader.h"
#include "doctor/model.h"

namespace privbind::doctor::verdicts {

// Reads and judges the resolved binary; adds findings to report. An Error when it cannot be
// inspected at all (not an ELF file, unreadable...).
Status judge(BinaryReport& bin, const loader::Host& host, Report& report);

}  // namespace privbind::doctor::verdicts
