// What doctor tells the reader to run, in order, once the verdicts are known.
#pragma once

#include "doctor/loader.h"
#include "doctor/model.h"

namespace privbind::doctor::recommend {

// Fills bin.recommended from the verdicts and findings already in bin and report. Every command
// is one that works on this file: `setcap -r` only for a file with capabilities, `chmod u-s`
// only for a setuid one, broker mode only where the launcher accepts the program.
void fill(BinaryReport& bin, Report& report, const loader::Host& host);

}  // namespace privbind::doctor::recommend
