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

#include "bpf/grants_layout.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PRIVBIND_GRANTS_MAX_ENTRIES);
  __type(key, struct privbind_grant_key);
  __type(value, struct privbind_grant_value);
} grants SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct privbind_grants_config);
} grants_config SEC(".maps");

static __always_inline int decide(struct bpf_sock_addr *ctx) {
  // The fast path, for almost every bind on the host: port 0 (an ephemeral port), or above the
  // highest granted port (an array lookup the verifier inlines: a few loads, no helper call).
  __u32 port = bpf_ntohs((__u16)ctx->user_port);
  if (port == 0) return 1;
  __u32 zero = 0;
  struct privbind_grants_config *config = bpf_map_lookup_elem(&grants_config, &zero);
  if (!config || port > config->max_port) return 1;
  __u32 protocol = ctx->protocol;
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return 1;

  // uid and primary gid as the initial user namespace sees them; supplementary groups are not
  // visible to a program here.
  __u64 ids = bpf_get_current_uid_gid();
  struct privbind_grant_key key = {
      .id = (__u32)ids, .port = (__u16)port, .protocol = (__u8)protocol,
      .kind = PRIVBIND_GRANT_USER};
  struct privbind_grant_value *grant = bpf_map_lookup_elem(&grants, &key);
  if (!grant) {
    key.id = (__u32)(ids >> 32);
    key.kind = PRIVBIND_GRANT_GROUP;
    grant = bpf_map_lookup_elem(&grants, &key);
  }
  if (!grant) return 1;
  // Scope: the initial network namespace only, unless the grant says any namespace.
  if (!(grant->flags & PRIVBIND_GRANT_ANY_NETNS) &&
      bpf_get_netns_cookie(ctx) != config->netns_cookie)
    return 1;
  return 3;
}

SEC("cgroup/bind4")
int grants_bind4(struct bpf_sock_addr *ctx) { return decide(ctx); }

SEC("cgroup/bind6")
int grants_bind6(struct bpf_sock_addr *ctx) { return decide(ctx); }

char LICENSE[] SEC("license") = "Apache-2.0";
