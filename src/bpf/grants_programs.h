// The standing grants' BPF side: grants.bpf.c's programs (a libbpf skeleton), their two maps
// and two links, pinned in bpffs. What is pinned, and where:
//
//   /sys/fs/bpf/privbind/grants_map_v1      hash map  struct privbind_grant_key -> ..._value
//   /sys/fs/bpf/privbind/grants_config_v1   array map, 1 x struct privbind_grants_config
//   /sys/fs/bpf/privbind/grants_bind4       link: cgroup/bind4 at the cgroup v2 root
//   /sys/fs/bpf/privbind/grants_bind6       link: cgroup/bind6 at the cgroup v2 root
//
// (src/bpf/grants_layout.h has the layout; v1 is PRIVBIND_GRANTS_LAYOUT.) The links are checked
// by program tag, name and maps: a privbind with other programs swaps them in place.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/pins.h"
#include "common/error.h"

namespace privbind::bpf {

// One key of the grants map, in privbind's terms.
struct GrantKey {
  bool group = false;  // PRIVBIND_GRANT_GROUP, else USER
  uint32_t id = 0;
  uint16_t port = 0;
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  auto tie() const { return std::tie(group, id, port, protocol); }
  bool operator<(const GrantKey& o) const { return tie() < o.tie(); }
  bool operator==(const GrantKey& o) const { return tie() == o.tie(); }
};
// key -> anyNetns
using GrantTable = std::map<GrantKey, bool>;

std::string grantsMapPin();
std::string grantsConfigPin();
std::string grantsLinkPin(bool v6);
// The programs' names as the kernel reports them.
inline constexpr const char* kGrantsProgName4 = "grants_bind4";
inline constexpr const char* kGrantsProgName6 = "grants_bind6";

enum class MapState { kMissing, kCurrent, kForeign };

// What the kernel enforces, read back; nothing is changed (the programs are loaded, to learn
// the tag privbind's own would have, and closed).
struct GrantsKernel {
  bool bpffsMounted = false;
  bool anyPinned = false;  // any of the standing grants' pins (none after `grants off`)
  MapState map = MapState::kMissing, config = MapState::kMissing;
  std::string mapDetail, configDetail;
  GrantTable entries;  // the grants map's contents (when kCurrent)
  uint64_t netnsCookie = 0;
  uint32_t maxPort = 0;
  LinkState bind4 = LinkState::kMissing, bind6 = LinkState::kMissing;
  std::string bind4Detail, bind6Detail;
  // Both links current and both maps privbind's: the table is what binds see.
  bool enforcing() const {
    return bind4 == LinkState::kCurrent && bind6 == LinkState::kCurrent &&
           map == MapState::kCurrent && config == MapState::kCurrent;
  }
};
Result<GrantsKernel> inspectGrants();

// Needs: root (CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN), run in the initial network namespace.
// Leaves: bpffs mounted, the maps pinned holding exactly `table` with netnsCookie, both links
// pinned and attached to the cgroup v2 root running this privbind's programs. Idempotent; every
// step is ordered so that a bind granted before and after never fails in between (entries are
// added before the fast path's bound is lowered, programs are swapped in place). Returns what
// was repaired or changed in the attachments, one sentence each.
Result<std::vector<std::string>> enforceGrants(const GrantTable& table, uint64_t netnsCookie);

// Needs: root. Leaves: both links detached and unpinned, the maps unpinned (the directory is
// removed when empty). true when anything was there.
Result<bool> removeGrants();

// The network namespace cookie of the calling process (SO_NETNS_COOKIE, Linux 5.14).
Result<uint64_t> ownNetnsCookie();

// The pinned grants maps, for another program that only reads them (cgroup mode's, which must
// not call a bind refused that a standing grant allows): both descriptors when both pins hold
// privbind's maps of this layout, else neither (no standing grant is then seen, which can only
// make that program say more, never grant more).
struct GrantsMaps {
  UniqueFd map, config;
};
GrantsMaps openGrantsMaps();

}  // namespace privbind::bpf
