// SPDX-License-Identifier: Apache-2.0
//
// Standing grants (privbind grant): run by the kernel for every bind(2) of an AF_INET/AF_INET6
// socket on the host, attached at the root of the cgroup v2 hierarchy through BPF links
// (programs of every cgroup below keep running: cgroup links are always "multi").
//
// bind4/bind6 (BPF_PROG_TYPE_CGROUP_SOCK_ADDR) run before the kernel's own checks. They return
// 3 (BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE) for a granted bind: the kernel then skips the
// CAP_NET_BIND_SERVICE check for this one bind and nothing else (EADDRINUSE and the rest still
// apply). Every other bind gets 1, which lets the kernel go on exactly as without privbind: a
// standing grant never refuses a bind (never 0). The kernel ORs the flags of all the programs
// that run for a bind, so a grant here and cgroup mode's grant combine.
//
// The policy is in two maps pinned in bpffs next to the links (src/bpf/pins.h says where):
// `grants` (hash, struct grant_key -> struct grant_value) and `grants_config` (one element:
// the highest granted port, for the fast path, and the initial network namespace's cookie).
// privbind changes them under its lock; the programs only read them.

// linux/bpf.h first: the libbpf headers use its types (so no include sorting here).
// clang-format off
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
// clang-format on

#include "bpf/grants_check.bpf.h"

// 3 for a granted bind, 1 for every other: never 0.
static __always_inline int decide(struct bpf_sock_addr *ctx) {
  return privbind_standing_grant(ctx, ctx->protocol, bpf_ntohs((__u16)ctx->user_port)) ? 3 : 1;
}

SEC("cgroup/bind4")
int grants_bind4(struct bpf_sock_addr *ctx) { return decide(ctx); }

SEC("cgroup/bind6")
int grants_bind6(struct bpf_sock_addr *ctx) { return decide(ctx); }

char LICENSE[] SEC("license") = "Apache-2.0";
