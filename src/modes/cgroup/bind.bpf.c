// SPDX-License-Identifier: Apache-2.0
//
// cgroup mode's policy, run by the kernel for every bind(2) of an AF_INET/AF_INET6 socket made by
// a process in one of privbind's cgroups (and only there: the programs are linked to those
// cgroups alone).
//
// bind4/bind6 (BPF_PROG_TYPE_CGROUP_SOCK_ADDR) run before the kernel's own checks. Returning 1
// lets the kernel go on exactly as without privbind: a reserved port then needs
// CAP_NET_BIND_SERVICE, which the command does not have, so it gets EACCES. Returning 3 sets
// BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE: the kernel skips that one capability check for this one
// bind; everything else (EADDRINUSE, EADDRNOTAVAIL, ...) still applies. Verifiers older than
// that flag reject the value 3 at load time, which is how privbind probes for it.
//
// post_bind4/post_bind6 (BPF_PROG_TYPE_CGROUP_SOCK) run after a bind succeeded; returning 0
// makes the kernel undo the bind and fail the call. They count the privileged binds for -n and
// --max-bound; sock_release gives a closed socket's place back.
//
// The programs are loaded once per host and pinned (programs.h); each launch links them to its
// own cgroup. Each launch's policy (launch_layout.h) is the programs' cgroup storage: one
// struct privbind_launch per cgroup they are linked to, which bpf_get_local_storage() returns
// for the cgroup whose link runs the program (the socket's cgroup, not the binding task's), which
// privbind writes after linking and before any process enters, and which the kernel frees with
// the cgroup. Storage not yet written (ready is not PRIVBIND_LAUNCH_READY) grants nothing. The
// only read-only data are the host's features, fixed when the set is loaded.
//
// A bind of the target's that -p or -n leaves to the kernel's refusal is reported once per port
// on the launch's ring buffer (`rings[ring_slot]`, one per run that reports); privbind's watcher
// reads it and says so on privbind's stderr.
//
// The programs act (grant, count, report) only in privbind's own network namespace: in another
// one, the kernel checks CAP_NET_BIND_SERVICE against that namespace's owner, which the command
// may be (`unshare -Urn`), so a bind declined here may well succeed, and a refusal line would be
// false. Nor do they limit, count or report a bind that a standing grant (`privbind grant`,
// src/bpf/grants.bpf.c at the cgroup v2 root) allows: the kernel grants it whatever this program
// says, so -p, -n and --max-bound cannot hold it back, and a refusal line would be false. The
// standing grants' maps are the pinned ones where privbind has them (programs.cpp), else empty.
// allowed_elsewhere() is where that is decided.

// linux/bpf.h first: the libbpf headers use its types (so no include sorting here).
// clang-format off
#include <linux/bpf.h>
#include <linux/in.h>
#include <asm/socket.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "bpf/grants_check.bpf.h"
#include "modes/cgroup/launch_layout.h"
// clang-format on

#define PRIVBIND_EACCES 13

// Why a bind was not granted (struct refusal's reason); the watcher words it.
#define PRIVBIND_REFUSED_PORTS 1  // the port is not in -p
#define PRIVBIND_REFUSED_BINDS 2  // -n's privileged binds are used up
#define PRIVBIND_REFUSED_BOUND 3  // --max-bound sockets are bound now
#define PRIVBIND_TRACED_BIND 4    // not a refusal: --trace-binds' record of a successful bind

// One record of a ring buffer. Kept in step with the watcher's copy.
struct refusal {
  __u16 port;
  __u8 protocol;  // IPPROTO_TCP or IPPROTO_UDP
  __u8 reason;    // PRIVBIND_REFUSED_*
};

// --trace-binds: one record per successful privileged bind. Its first four bytes are laid out as
// struct refusal's, with reason PRIVBIND_TRACED_BIND, so that one ring buffer carries both.
struct traced_bind {
  __u16 port;
  __u8 protocol;
  __u8 reason;       // PRIVBIND_TRACED_BIND
  __u32 family;      // AF_INET or AF_INET6
  __u32 address[4];  // network byte order; address[0] for AF_INET
};

// The host's features, fixed when the set is loaded (programs.cpp tries with them first):
// bpf_set_retval() (Linux 5.18), so that a refused post_bind fails with EACCES, not EPERM;
// bpf_setsockopt(SO_REUSEPORT) from cgroup/bind4, for -r.
const volatile __u8 have_set_retval = 0;
const volatile __u8 have_reuseport = 0;

// Each launch's policy: the storage of the cgroup whose link runs the program (launch_layout.h).
struct {
  __uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
  __type(key, __u64);
  __type(value, struct privbind_launch);
} launch SEC(".maps");

// The ring buffers of the runs that report, one per slot. A slot's ring buffer is made the first
// time a run claims the slot, and kept for later runs; privbind sizes them (and this template)
// to one page, a ring buffer being a power-of-2 number of pages.
struct ring {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, PRIVBIND_RING_SLOTS);
  __type(key, __u32);
  __array(values, struct ring);
} rings SEC(".maps");

// The sockets counted in bound_now: marked in post_bind, unmarked (and bound_now lowered) by
// sock_release when the socket is closed. Storage that lives and dies with the socket itself.
struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u8);
} counted SEC(".maps");

// This cgroup's policy, or none when privbind has not written it (nothing is then granted).
static __always_inline struct privbind_launch *policy(void) {
  struct privbind_launch *l = bpf_get_local_storage(&launch, 0);
  return l->ready == PRIVBIND_LAUNCH_READY ? l : 0;
}

static __always_inline int has_bit(const __u64 *bits, __u32 port) {
  return (bits[(port >> 6) & (PRIVBIND_PORT_WORDS - 1)] >> (port & 63)) & 1;
}

// A TCP or UDP bind of the target uid to a reserved port: the binds privbind decides on.
static __always_inline int is_reserved_for_target(struct privbind_launch *l, __u32 protocol,
                                                  __u32 port) {
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return 0;
  if ((__u32)bpf_get_current_uid_gid() != l->target_uid) return 0;
  return port != 0 && port < l->unprivileged_start;
}

static __always_inline int is_ours(struct privbind_launch *l, __u32 protocol, __u32 port) {
  if (!is_reserved_for_target(l, protocol, port)) return 0;
  return !(l->flags & PRIVBIND_LAUNCH_RESTRICT_PORTS) || has_bit(l->allowed_ports, port);
}

// On the launch's ring buffer, if it has one.
static __always_inline void output(struct privbind_launch *l, void *record, __u64 size) {
  if (!(l->flags & PRIVBIND_LAUNCH_REPORT)) return;
  __u32 slot = l->ring_slot;
  void *ring = bpf_map_lookup_elem(&rings, &slot);
  if (ring) bpf_ringbuf_output(ring, record, size, 0);
}

// Once per port: the first refusal of a port is put on the ring buffer, later ones are not. A full
// buffer drops the record; the watcher reads it long before that.
static __always_inline void report(struct privbind_launch *l, __u32 protocol, __u32 port,
                                   __u8 reason) {
  __u64 bit = 1ULL << (port & 63);
  if (__sync_fetch_and_or(&l->reported_ports[(port >> 6) & (PRIVBIND_PORT_WORDS - 1)], bit) & bit)
    return;
  struct refusal r = {.port = (__u16)port, .protocol = (__u8)protocol, .reason = reason};
  output(l, &r, sizeof r);
}

// Whether something other than this cgroup's grant decides the bind, so that the programs must
// neither limit, count nor report it: a network namespace other than privbind's (there the
// kernel's own check may allow it, and a refusal line would be false), or a standing grant of the
// target's for this port and protocol. ctx is the program's context, struct bpf_sock_addr or
// struct bpf_sock (bpf_get_netns_cookie takes both).
static __always_inline int allowed_elsewhere(struct privbind_launch *l, void *ctx, __u32 protocol,
                                             __u32 port) {
  return bpf_get_netns_cookie(ctx) != l->netns_cookie ||
         privbind_standing_grant(ctx, protocol, port);
}

static __always_inline int grant(struct bpf_sock_addr *ctx) {
  struct privbind_launch *l = policy();
  if (!l) return 1;
  __u32 port = bpf_ntohs((__u16)ctx->user_port);
  if (!is_reserved_for_target(l, ctx->protocol, port)) return 1;
  // Not privbind's to decide: the kernel goes on as without privbind, and nothing is said.
  if (allowed_elsewhere(l, ctx, ctx->protocol, port)) return 1;
  // Not granted: the kernel refuses the port with EACCES as it would without privbind.
  if ((l->flags & PRIVBIND_LAUNCH_RESTRICT_PORTS) && !has_bit(l->allowed_ports, port)) {
    report(l, ctx->protocol, port, PRIVBIND_REFUSED_PORTS);
    return 1;
  }
  if ((l->flags & PRIVBIND_LAUNCH_LIMIT_BINDS) && l->granted_binds >= l->bind_limit) {
    report(l, ctx->protocol, port, PRIVBIND_REFUSED_BINDS);
    return 1;
  }
  if ((l->flags & PRIVBIND_LAUNCH_LIMIT_BOUND) && l->bound_now >= l->bound_limit) {
    report(l, ctx->protocol, port, PRIVBIND_REFUSED_BOUND);
    return 1;
  }
  if ((l->flags & PRIVBIND_LAUNCH_REUSEPORT) && has_bit(l->reuseport_ports, port)) {
    // Fail closed: a bind that was asked to share the port but cannot is not granted (privbind
    // refuses -r where the set was loaded without the call).
    if (!have_reuseport) return 1;
    int one = 1;
    if (bpf_setsockopt(ctx, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return 1;
  }
  return 3;
}

// A successful bind that this cgroup's grant made: the target's, a reserved port (in -p), in
// privbind's network namespace. A bind allowed elsewhere neither uses up -n or --max-bound nor is
// traced.
static __always_inline int granted_here(struct privbind_launch *l, struct bpf_sock *sk) {
  return is_ours(l, sk->protocol, sk->src_port) &&
         !allowed_elsewhere(l, sk, sk->protocol, sk->src_port);
}

static __always_inline int count(struct privbind_launch *l, struct bpf_sock *sk) {
  if (!(l->flags & PRIVBIND_LAUNCH_LIMIT_BINDS)) return 1;
  if (!granted_here(l, sk)) return 1;
  // Exact under racing threads: each successful bind takes a ticket; the ones past the limit
  // give it back and are undone by the kernel.
  __u64 before = __sync_fetch_and_add(&l->granted_binds, 1);
  if (before < l->bind_limit) return 1;
  __sync_fetch_and_sub(&l->granted_binds, 1);
  report(l, sk->protocol, sk->src_port, PRIVBIND_REFUSED_BINDS);
  if (have_set_retval) bpf_set_retval(-PRIVBIND_EACCES);
  return 0;
}

// --max-bound, after a successful bind that count() let stand: exact under racing threads as -n
// is. The socket is marked as counted, so that sock_release gives its place back exactly once;
// one that cannot be marked is not counted and its bind is undone (fail closed).
static __always_inline int count_bound(struct privbind_launch *l, struct bpf_sock *sk) {
  if (!(l->flags & PRIVBIND_LAUNCH_LIMIT_BOUND)) return 1;
  if (!granted_here(l, sk)) return 1;
  __u64 before = __sync_fetch_and_add(&l->bound_now, 1);
  if (before < l->bound_limit) {
    __u8 *mark = bpf_sk_storage_get(&counted, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (mark) {
      *mark = 1;
      return 1;
    }
  } else {
    report(l, sk->protocol, sk->src_port, PRIVBIND_REFUSED_BOUND);
  }
  __sync_fetch_and_sub(&l->bound_now, 1);
  if (have_set_retval) bpf_set_retval(-PRIVBIND_EACCES);
  return 0;
}

// A bind that stands: -n, then --max-bound. A socket that -n refuses is never counted at once.
static __always_inline int counts(struct privbind_launch *l, struct bpf_sock *sk) {
  if (!count(l, sk)) return 0;
  if (count_bound(l, sk)) return 1;
  // Undone after -n counted it: give -n's ticket back too.
  if (l->flags & PRIVBIND_LAUNCH_LIMIT_BINDS) __sync_fetch_and_sub(&l->granted_binds, 1);
  return 0;
}

static __always_inline void trace_bind(struct privbind_launch *l, struct bpf_sock *sk,
                                       struct traced_bind *t) {
  t->port = (__u16)sk->src_port;
  t->protocol = (__u8)sk->protocol;
  t->reason = PRIVBIND_TRACED_BIND;
  output(l, t, sizeof *t);
}

static __always_inline int traces(struct privbind_launch *l, struct bpf_sock *sk) {
  return (l->flags & PRIVBIND_LAUNCH_TRACE) && granted_here(l, sk);
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx) { return grant(ctx); }

SEC("cgroup/bind6")
int bind6(struct bpf_sock_addr *ctx) { return grant(ctx); }

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *sk) {
  struct privbind_launch *l = policy();
  if (!l) return 1;
  if (!counts(l, sk)) return 0;
  if (traces(l, sk)) {
    struct traced_bind t = {.family = 2 /* AF_INET */};
    t.address[0] = sk->src_ip4;
    trace_bind(l, sk, &t);
  }
  return 1;
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *sk) {
  struct privbind_launch *l = policy();
  if (!l) return 1;
  if (!counts(l, sk)) return 0;
  if (traces(l, sk)) {
    struct traced_bind t = {.family = 10 /* AF_INET6 */};
    t.address[0] = sk->src_ip6[0];
    t.address[1] = sk->src_ip6[1];
    t.address[2] = sk->src_ip6[2];
    t.address[3] = sk->src_ip6[3];
    trace_bind(l, sk, &t);
  }
  return 1;
}

// --max-bound: a counted socket is being closed (the last reference to it is gone); its place
// is free again. Linked only with --max-bound; runs for every socket of the cgroup, and the
// others carry no mark.
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk) {
  struct privbind_launch *l = policy();
  if (!l) return 1;
  __u8 *mark = bpf_sk_storage_get(&counted, sk, 0, 0);
  if (mark && *mark) {
    *mark = 0;
    __sync_fetch_and_sub(&l->bound_now, 1);
  }
  return 1;
}

char LICENSE[] SEC("license") = "Apache-2.0";
