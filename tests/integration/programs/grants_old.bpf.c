// SPDX-License-Identifier: Apache-2.0
//
// "An older privbind": programs with the names and maps of src/bpf/grants.bpf.c that decide the
// same way with other instructions (so another program tag). The upgrade test attaches these
// at privbind's pins, then lets `privbind grants apply` swap them in place.
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
  // Protocol first, then the port: the other order of the current programs.
  if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP) return 1;
  __u32 port = bpf_ntohs((__u16)ctx->user_port);
  __u32 zero = 0;
  struct privbind_grants_config *config = bpf_map_lookup_elem(&grants_config, &zero);
  if (!config || port == 0 || port > config->max_port) return 1;
  __u64 ids = bpf_get_current_uid_gid();
  struct privbind_grant_key key = {.id = (__u32)(ids >> 32),
                                   .port = (__u16)port,
                                   .protocol = (__u8)ctx->protocol,
                                   .kind = PRIVBIND_GRANT_GROUP};
  struct privbind_grant_value *grant = bpf_map_lookup_elem(&grants, &key);
  if (!grant) {
    key.id = (__u32)ids;
    key.kind = PRIVBIND_GRANT_USER;
    grant = bpf_map_lookup_elem(&grants, &key);
  }
  if (!grant) return 1;
  if ((grant->flags & PRIVBIND_GRANT_ANY_NETNS) ||
      bpf_get_netns_cookie(ctx) == config->netns_cookie)
    return 3;
  return 1;
}

SEC("cgroup/bind4")
int grants_bind4(struct bpf_sock_addr *ctx) { return decide(ctx); }

SEC("cgroup/bind6")
int grants_bind6(struct bpf_sock_addr *ctx) { return decide(ctx); }

char LICENSE[] SEC("license") = "Apache-2.0";
