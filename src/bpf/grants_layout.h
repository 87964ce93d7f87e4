// The layout of the standing grants' maps, shared by the BPF programs (grants.bpf.c), privbind
// (pins.cpp) and any other program that reads them (cgroup mode may look a bind up here to
// learn whether a standing grant allowed it). C, for both compilers. A change to anything here
// is a new map layout: bump PRIVBIND_GRANTS_LAYOUT, which is part of the maps' pin names, so
// that a privbind of one layout never reads or writes a map of another.
#ifndef PRIVBIND_BPF_GRANTS_LAYOUT_H
#define PRIVBIND_BPF_GRANTS_LAYOUT_H

#include <linux/types.h>

#define PRIVBIND_GRANTS_LAYOUT 1

// At most this many (id, port, protocol) grants.
#define PRIVBIND_GRANTS_MAX_ENTRIES 65536

// privbind_grant_key.kind
#define PRIVBIND_GRANT_USER 1   // id is a uid
#define PRIVBIND_GRANT_GROUP 2  // id is a primary gid

// privbind_grant_value.flags
#define PRIVBIND_GRANT_ANY_NETNS 1u  // in every network namespace, not only the initial one

// Key of the `grants` hash map: 8 bytes, no padding.
struct privbind_grant_key {
  __u32 id;       // uid or gid, as the initial user namespace sees it
  __u16 port;     // host byte order
  __u8 protocol;  // IPPROTO_TCP (6) or IPPROTO_UDP (17)
  __u8 kind;      // PRIVBIND_GRANT_USER or PRIVBIND_GRANT_GROUP
};

struct privbind_grant_value {
  __u32 flags;  // PRIVBIND_GRANT_*
};

// The one element (key 0) of the `grants_config` array map.
struct privbind_grants_config {
  __u64 netns_cookie;  // the initial network namespace's cookie (SO_NETNS_COOKIE)
  __u32 max_port;      // the highest granted port; 0 when nothing is granted
  __u32 reserved;
};

#endif
