// SPDX-License-Identifier: Apache-2.0
//
// cgroup mode's policy, run by the kernel for every bind(2) of an AF_INET/AF_INET6 socket made by
// a process in privbind's cgroup (and only there: the programs are attached to that cgroup).
//
// bind4/bind6 (BPF_PROG_TYPE_CGROUP_SOCK_ADDR) run before the kernel's own checks. Returning 1
// lets the kernel go on exactly as without privbind: a reserved port then needs
// CAP_NET_BIND_SERVICE, which the command does not have, so it gets EACCES. Returning 3 sets
// BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE: the kernel skips that one capability check for this one
// bind; everything else (EADDRINUSE, EADDRNOTAVAIL, ...) still applies. Verifiers older than
// that flag reject the value 3 at load time, which is how privbind probes for it.
//
// post_bind4/post_bind6 (BPF_PROG_TYPE_CGROUP_SOCK) run after a bind succeeded; returning 0
// makes the kernel undo the bind and fail the call. They count the privileged binds for -n.
//
// Everything the programs decide on is read-only data set by privbind before load (the
// verifier sees it as constants and drops the branches that cannot run), except the counter.
//
// A bind of the target's that -p or -n leaves to the kernel's refusal is reported once per port
// on the `refusals` ring buffer; privbind's watcher reads it and says so on privbind's stderr.
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
// clang-format on

#define PRIVBIND_EACCES 13

// Why a bind was not granted (struct refusal's reason); the watcher words it.
#define PRIVBIND_REFUSED_PORTS 1  // the port is not in -p
#define PRIVBIND_REFUSED_BINDS 2  // -n's privileged binds are used up
#define PRIVBIND_REFUSED_BOUND 3  // --max-bound sockets are bound now
#define PRIVBIND_TRACED_BIND 4    // not a refusal: --trace-binds' record of a successful bind

// One record of the refusals ring buffer. Kept in step with the watcher's copy.
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

// The user the command runs as: only its binds are granted (uid as the initial user namespace
// sees it, which is what bpf_get_current_uid_gid() returns).
const volatile __u32 target_uid = 0;
// net.ipv4.ip_unprivileged_port_start of privbind's network namespace: ports 1 to this - 1 are
// the reserved ones.
const volatile __u32 unprivileged_start = 1024;
// -p: when set, only ports whose bit is set in allowed_ports are granted.
const volatile __u8 restrict_ports = 0;
const volatile __u64 allowed_ports[65536 / 64] = {};
// -r: set SO_REUSEPORT on the socket before a granted bind of these ports.
const volatile __u8 use_reuseport = 0;
const volatile __u64 reuseport_ports[65536 / 64] = {};
// -n: at most bind_limit successful privileged binds (when limit_binds is set).
const volatile __u8 limit_binds = 0;
const volatile __u64 bind_limit = 0;
// The cookie of privbind's network namespace (getsockopt SO_NETNS_COOKIE, Linux 5.14): the one
// namespace the grant applies in.
const volatile __u64 netns_cookie = 0;
// bpf_set_retval() (Linux 5.18) exists: a refused post_bind then fails with EACCES, not EPERM.
const volatile __u8 have_set_retval = 0;
// --max-bound: at most bound_limit privileged sockets bound at once (when limit_bound is set).
const volatile __u8 limit_bound = 0;
const volatile __u64 bound_limit = 0;
// --trace-binds: report every successful privileged bind.
const volatile __u8 trace_binds = 0;

// Privileged sockets bound now (--max-bound); changed only with atomic instructions.
__u64 bound_now = 0;

// Successful privileged binds so far; changed only with atomic instructions.
__u64 granted_binds = 0;
// Ports whose refusal was reported already: one record per port, however often the command tries.
__u64 reported_ports[65536 / 64] = {};

// Its size is set to the page size before load (a ring buffer is a power-of-2 number of pages).
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} refusals SEC(".maps");

// The sockets counted in bound_now: marked in post_bind, unmarked (and bound_now lowered) by
// sock_release when the socket is closed. Storage that lives and dies with the socket itself.
struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u8);
} counted SEC(".maps");

static __always_inline int has_bit(const volatile __u64 *bits, __u32 port) {
  return (bits[(port >> 6) & 1023] >> (port & 63)) & 1;
}

// A TCP or UDP bind of the target uid to a reserved port: the binds privbind decides on.
static __always_inline int is_reserved_for_target(__u32 protocol, __u32 port) {
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return 0;
  if ((__u32)bpf_get_current_uid_gid() != target_uid) return 0;
  return port != 0 && port < unprivileged_start;
}

static __always_inline int is_ours(__u32 protocol, __u32 port) {
  if (!is_reserved_for_target(protocol, port)) return 0;
  return !restrict_ports || has_bit(allowed_ports, port);
}

// Once per port: the first refusal of a port is put on the ring buffer, later ones are not. A full
// buffer drops the record; the watcher reads it long before that.
static __always_inline void report(__u32 protocol, __u32 port, __u8 reason) {
  __u64 bit = 1ULL << (port & 63);
  if (__sync_fetch_and_or(&reported_ports[(port >> 6) & 1023], bit) & bit) return;
  struct refusal r = {.port = (__u16)port, .protocol = (__u8)protocol, .reason = reason};
  bpf_ringbuf_output(&refusals, &r, sizeof r, 0);
}

// Whether something other than this cgroup's grant decides the bind, so that the programs must
// neither limit, count nor report it: a network namespace other than privbind's (there the
// kernel's own check may allow it, and a refusal line would be false), or a standing grant of the
// target's for this port and protocol. ctx is the program's context, struct bpf_sock_addr or
// struct bpf_sock (bpf_get_netns_cookie takes both).
static __always_inline int other_netns(void *ctx) {
  return bpf_get_netns_cookie(ctx) != netns_cookie;
}

static __always_inline int allowed_elsewhere(void *ctx, __u32 protocol, __u32 port) {
  return other_netns(ctx) || privbind_standing_grant(ctx, protocol, port);
}

static __always_inline int grant(struct bpf_sock_addr *ctx) {
  __u32 port = bpf_ntohs((__u16)ctx->user_port);
  if (!is_reserved_for_target(ctx->protocol, port)) return 1;
  // Not privbind's to decide: the kernel goes on as without privbind, and nothing is said.
  if (allowed_elsewhere(ctx, ctx->protocol, port)) return 1;
  // Not granted: the kernel refuses the port with EACCES as it would without privbind.
  if (restrict_ports && !has_bit(allowed_ports, port)) {
    report(ctx->protocol, port, PRIVBIND_REFUSED_PORTS);
    return 1;
  }
  if (limit_binds && granted_binds >= bind_limit) {
    report(ctx->protocol, port, PRIVBIND_REFUSED_BINDS);
    return 1;
  }
  if (limit_bound && bound_now >= bound_limit) {
    report(ctx->protocol, port, PRIVBIND_REFUSED_BOUND);
    return 1;
  }
  if (use_reuseport && has_bit(reuseport_ports, port)) {
    int one = 1;
    // Fail closed: a bind that was asked to share the port but cannot is not granted.
    if (bpf_setsockopt(ctx, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return 1;
  }
  return 3;
}

// A successful bind that this cgroup's grant made: the target's, a reserved port (in -p), in
// privbind's network namespace. A bind allowed elsewhere neither uses up -n or --max-bound nor is
// traced.
static __always_inline int granted_here(struct bpf_sock *sk) {
  return is_ours(sk->protocol, sk->src_port) && !allowed_elsewhere(sk, sk->protocol, sk->src_port);
}

static __always_inline int count(struct bpf_sock *sk) {
  if (!limit_binds) return 1;
  if (!granted_here(sk)) return 1;
  // Exact under racing threads: each successful bind takes a ticket; the ones past the limit
  // give it back and are undone by the kernel.
  __u64 before = __sync_fetch_and_add(&granted_binds, 1);
  if (before < bind_limit) return 1;
  __sync_fetch_and_sub(&granted_binds, 1);
  report(sk->protocol, sk->src_port, PRIVBIND_REFUSED_BINDS);
  if (have_set_retval) bpf_set_retval(-PRIVBIND_EACCES);
  return 0;
}

// --max-bound, after a successful bind that count() let stand: exact under racing threads as -n
// is. The socket is marked as counted, so that sock_release gives its place back exactly once;
// one that cannot be marked is not counted and its bind is undone (fail closed).
static __always_inline int count_bound(struct bpf_sock *sk) {
  if (!limit_bound) return 1;
  if (!granted_here(sk)) return 1;
  __u64 before = __sync_fetch_and_add(&bound_now, 1);
  if (before < bound_limit) {
    __u8 *mark = bpf_sk_storage_get(&counted, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (mark) {
      *mark = 1;
      return 1;
    }
  } else {
    report(sk->protocol, sk->src_port, PRIVBIND_REFUSED_BOUND);
  }
  __sync_fetch_and_sub(&bound_now, 1);
  if (have_set_retval) bpf_set_retval(-PRIVBIND_EACCES);
  return 0;
}

// A bind that stands: -n, then --max-bound. A socket that -n refuses is never counted at once.
static __always_inline int counts(struct bpf_sock *sk) {
  if (!count(sk)) return 0;
  if (count_bound(sk)) return 1;
  // Undone after -n counted it: give -n's ticket back too.
  if (limit_binds) __sync_fetch_and_sub(&granted_binds, 1);
  return 0;
}

static __always_inline void trace_bind(struct bpf_sock *sk, struct traced_bind *t) {
  t->port = (__u16)sk->src_port;
  t->protocol = (__u8)sk->protocol;
  t->reason = PRIVBIND_TRACED_BIND;
  bpf_ringbuf_output(&refusals, t, sizeof *t, 0);
}

SEC("cgroup/bind4")
int bind4(struct bpf_sock_addr *ctx) { return grant(ctx); }

SEC("cgroup/bind6")
int bind6(struct bpf_sock_addr *ctx) { return grant(ctx); }

SEC("cgroup/post_bind4")
int post_bind4(struct bpf_sock *sk) {
  if (!counts(sk)) return 0;
  if (trace_binds && granted_here(sk)) {
    struct traced_bind t = {.family = 2 /* AF_INET */};
    t.address[0] = sk->src_ip4;
    trace_bind(sk, &t);
  }
  return 1;
}

SEC("cgroup/post_bind6")
int post_bind6(struct bpf_sock *sk) {
  if (!counts(sk)) return 0;
  if (trace_binds && granted_here(sk)) {
    struct traced_bind t = {.family = 10 /* AF_INET6 */};
    t.address[0] = sk->src_ip6[0];
    t.address[1] = sk->src_ip6[1];
    t.address[2] = sk->src_ip6[2];
    t.address[3] = sk->src_ip6[3];
    trace_bind(sk, &t);
  }
  return 1;
}

// --max-bound: a counted socket is being closed (the last reference to it is gone); its place
// is free again. Runs for every socket created in the cgroup; the others carry no mark.
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *sk) {
  if (!limit_bound) return 1;
  __u8 *mark = bpf_sk_storage_get(&counted, sk, 0, 0);
  if (mark && *mark) {
    *mark = 0;
    __sync_fetch_and_sub(&bound_now, 1);
  }
  return 1;
}

char LICENSE[] SEC("license") = "Apache-2.0";
