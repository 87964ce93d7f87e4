// The ring buffer's records other than the -p and -n refusals the watcher words itself:
// --max-bound's refusals and --trace-binds' successful binds (bind.bpf.c's PRIVBIND_REFUSED_BOUND
// and struct traced_bind). Runs in the watcher, under its seccomp filter: no allocation, one
// write(2) to noticeFd per record.
#pragma once

#include <cstddef>

#include "modes/cgroup/watcher.h"

namespace privbind::cgroupmode::records {

// One record of size bytes at data; a line on noticeFd (privbind's stderr) when it can take one
// now. Records it does not know are ignored. Returns 0 (ring_buffer_sample_fn: go on).
int onRecord(int noticeFd, const RefusalWords& words, const void* data, size_t size);

}  // namespace privbind::cgroupmode::records
