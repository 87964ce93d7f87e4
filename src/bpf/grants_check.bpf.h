// SPDX-License-Identifier: Apache-2.0
//
// The standing grants' decision as a BPF-side helper, for every program that needs it: the
// grants' own bind4/bind6 (grants.bpf.c), and cgroup mode's bind program, which must not report
// a refusal for a bind that a standing grant allows. Including this header defines the two maps
// (`grants`, `grants_config`); the loader makes them the pinned ones before load
// (bpf_map__reuse_fd with /sys/fs/bpf/privbind/grants_map_v1 and grants_config_v1, see
// src/bpf/grants_programs.h). Left unpinned they stay empty, and nothing is granted by them.
#ifndef PRIVBIND_BPF_GRANTS_CHECK_BPF_H
#define PRIVBIND_BPF_GRANTS_CHECK_BPF_H

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

// Whether a standing grant lets the current task bind (protocol, port host order) in the network
// namespace of ctx: 1 or 0. The fast path first, for almost every bind on the host: port 0 (an
// ephemeral port) or above the highest granted port (an array lookup the verifier inlines: a
// few loads, no helper call), or neither TCP nor UDP.
static __always_inline int privbind_standing_grant(struct bpf_sock_addr *ctx, __u32 protocol,
                                                   __u32 port) {
  if (port == 0) return 0;
  __u32 zero = 0;
  struct privbind_grants_config *config = bpf_map_lookup_elem(&grants_config, &zero);
  if (!config || port > config->max_port) return 0;
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return 0;

  // uid and primary gid as the initial user namespace sees them; supplementary groups are not
  // visible to a program here.
  __u64 ids = bpf_get_current_uid_gid();
  struct privbind_grant_key key = {.id = (__u32)ids,
                                   .port = (__u16)port,
                                   .protocol = (__u8)protocol,
                                   .kind = PRIVBIND_GRANT_USER};
  struct privbind_grant_value *grant = bpf_map_lookup_elem(&grants, &key);
  if (!grant) {
    key.id = (__u32)(ids >> 32);
    key.kind = PRIVBIND_GRANT_GROUP;
    grant = bpf_map_lookup_elem(&grants, &key);
  }
  if (!grant) return 0;
  // Scope: the initial network namespace only, unless the grant says any namespace.
  if (!(grant->flags & PRIVBIND_GRANT_ANY_NETNS) &&
      bpf_get_netns_cookie(ctx) != config->netns_cookie)
    return 0;
  return 1;
}

#endif
