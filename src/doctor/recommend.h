// What doctor tells the reader to run, in order, once the verdicts are known.
#pragma once

#include "doctor/model.h"
#include "doctor/verdicts.h"

namespace privbind::doctor::recommend {

// Fills bin.recommended from the verdicts and findings already in bin and report. Every command
// is one that works on this file: `setcap -r` only for a file with capabilities, `chmod u-s`
// only for a setuid one, broker mode only where the launcher accepts the program.
// The least-privilege mode that works comes first: cgroup mode (no capability at all) where the
// host supports it, then broker mode, then caps mode.
void fill(BinaryReport& bin, Report& report, const verdicts::Context& ctx);

}  // namespace privbind::doctor::recommend
