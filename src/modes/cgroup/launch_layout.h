// The layout of cgroup mode's per-launch policy, shared by the BPF programs (bind.bpf.c) and
// privbind (programs.cpp), which writes it. C, for both compilers. The programs are loaded once
// per host and pinned (programs.h); each launch's policy is this struct in the programs'
// cgroup storage, one per cgroup they are linked to, written by privbind after linking and freed
// by the kernel with the cgroup. A change here changes the BPF object, and with it the pinned
// set's version (its directory's name), so that no privbind writes a layout the pinned programs
// read otherwise.
#ifndef PRIVBIND_MODES_CGROUP_LAUNCH_LAYOUT_H
#define PRIVBIND_MODES_CGROUP_LAUNCH_LAYOUT_H

#include <linux/types.h>

// privbind_launch.ready once privbind wrote the policy: storage the kernel just allocated is
// zeroed, and a zeroed policy grants nothing.
#define PRIVBIND_LAUNCH_READY 0x70627631u

// privbind_launch.flags
#define PRIVBIND_LAUNCH_RESTRICT_PORTS 0x01u  // -p: only ports in allowed_ports
#define PRIVBIND_LAUNCH_REUSEPORT 0x02u       // -r: SO_REUSEPORT before a granted bind of these
#define PRIVBIND_LAUNCH_LIMIT_BINDS 0x04u     // -n: at most bind_limit privileged binds
#define PRIVBIND_LAUNCH_LIMIT_BOUND 0x08u     // --max-bound: at most bound_limit bound at once
#define PRIVBIND_LAUNCH_TRACE 0x10u           // --trace-binds: every granted bind reported
#define PRIVBIND_LAUNCH_REPORT 0x20u          // the run's ring buffer is rings[ring_slot]

#define PRIVBIND_PORT_WORDS (65536 / 64)

// Ring buffers: the set's `rings` array holds up to this many, one per run that reports at a time
// (programs.h: claimed by a lock of their own, made at first use, then reused).
#define PRIVBIND_RING_SLOTS 1024

struct privbind_launch {
  __u32 ready;               // PRIVBIND_LAUNCH_READY
  __u32 flags;               // PRIVBIND_LAUNCH_*
  __u32 target_uid;          // only this uid's binds are granted (initial user namespace)
  __u32 unprivileged_start;  // ports 1 .. this - 1 are the reserved ones
  __u64 netns_cookie;        // privbind's network namespace: the only one the grant applies in
  __u32 ring_slot;           // the run's ring buffer: rings[ring_slot] (with _REPORT)
  __u32 reserved;
  __u64 bind_limit;                            // -n
  __u64 bound_limit;                           // --max-bound
  __u64 granted_binds;                         // changed by the programs only, atomically
  __u64 bound_now;                             // changed by the programs only, atomically
  __u64 allowed_ports[PRIVBIND_PORT_WORDS];    // -p: bit (port % 64) of word (port / 64)
  __u64 reuseport_ports[PRIVBIND_PORT_WORDS];  // -r
  __u64 reported_ports[PRIVBIND_PORT_WORDS];   // ports whose refusal was reported already
};

#endif
