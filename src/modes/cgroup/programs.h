// The BPF programs of bind.bpf.c: loaded once per host and pinned in bpffs, next to the standing
// grants' pins, then linked to each launch's cgroup with that launch's policy in their cgroup
// storage. What is pinned, and where (<version>: 16 hex digits of a hash of the BPF object this
// privbind carries, so that another privbind's set is never taken for its own):
//
//   /sys/fs/bpf/privbind/launch-<version>/bind4, bind6            cgroup/bind4, cgroup/bind6
//   /sys/fs/bpf/privbind/launch-<version>/post_bind4, post_bind6  cgroup/post_bind4, post_bind6
//   /sys/fs/bpf/privbind/launch-<version>/sock_release            cgroup/sock_release
//   /sys/fs/bpf/privbind/launch-<version>/launch                  the policies (cgroup storage)
//   /sys/fs/bpf/privbind/launch-<version>/rings                   ring buffers, by slot
//   /sys/fs/bpf/privbind/launch-<version>/ring_<slot>             each, once a run used it
//   /sys/fs/bpf/privbind/launch-<version>/no_grants, no_grants_config
//                                             empty stand-ins for the standing grants' maps
//
// Nothing pinned grants anything by itself: a program runs only where a launch links it, and
// grants only what that launch's policy says. A pinned set is checked before it is used (each
// pin's kind, each program's name, type and maps); one that fails, another version's, or none,
// means loading the set (the verifier's work, once), pinning it in place of what was there, and
// removing other versions' sets. Where nothing can be pinned (no bpffs), each launch loads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "modes/cgroup/policy.h"

namespace privbind::cgroupmode {

class Programs {
 public:
  // Where this run's set came from, for -v.
  enum class Origin {
    kPinned,           // the pinned set, checked
    kLoadedAndPinned,  // loaded now and pinned (first run, another version's, or a bad pin)
    kLoaded,           // loaded now and not pinned (no bpffs, a probe, another run's won)
  };

  // Needs: CAP_BPF and CAP_SYS_ADMIN (bpffs, BPF_OBJ_GET), or the same to load: a kernel whose
  // verifier accepts the return value 3 of a cgroup/bind4 program
  // (BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE). Leaves: descriptors of the programs the policy needs
  // and of the maps (close-on-exec), attached nowhere; the set pinned when it was loaded and
  // bpffs allows and mayPin says so (doctor's probe changes nothing on the host). A refusal
  // names what is missing.
  static Result<Programs> obtain(const Policy& policy, bool mayPin = true);

  // A ring buffer of the set's, for one run's reports (-p, -n, --max-bound, --trace-binds): slot
  // is its index in `rings`, lock an exclusive flock(2) on /run/privbind/rings/<slot>, which
  // whoever reads the ring holds for as long as the run lasts (the watcher): a slot is free when
  // its lock is. A slot's ring buffer is made the first time it is claimed (entering it in
  // `rings` waits for an RCU grace period, as every change of a map of maps does) and reused
  // after; the reader discards what an earlier run left in it.
  struct Ring {
    UniqueFd lock, ring;
    uint32_t slot = 0;
  };
  Result<Ring> claimRing() const;

  // Needs: CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN), cgroupFd an open cgroup v2 directory.
  // Leaves: the programs the policy needs attached to it through BPF links (bpf(2)
  // BPF_LINK_CREATE), one descriptor each, close-on-exec, and the policy written into the
  // cgroup's storage (which only exists once a program is linked there), with ring's slot when
  // the programs report. A link lives as long as its last descriptor: whoever holds them holds
  // the grant, and the kernel detaches the programs the moment it dies, however it dies.
  // Programs of parent cgroups keep running (links are always "multi").
  Result<std::vector<UniqueFd>> link(int cgroupFd, uint64_t cgroupId, const Ring* ring) const;

  // The programs linked for this policy, for -v: "bind4/bind6/post_bind4/post_bind6".
  std::string names() const;
  Origin origin() const { return origin_; }
  // Why the set is not pinned (kLoaded), or what replaced a pinned one (kLoadedAndPinned).
  const std::string& originDetail() const { return originDetail_; }

  // Whether the programs can put anything on a ring buffer (-p, -n, --max-bound, --trace-binds):
  // without any of them there is no ring buffer.
  bool reportsRefusals() const;

  // With -n: whether a refused post_bind fails with EACCES (bpf_set_retval, Linux 5.18) or EPERM.
  bool exactErrno() const { return exactErrno_; }

  Programs(Programs&& other) noexcept = default;
  Programs& operator=(Programs&& other) noexcept = default;
  ~Programs() = default;

  // The descriptors of one set: programs (by hook) and maps.
  struct Set {
    UniqueFd bind4, bind6, postBind4, postBind6, sockRelease;
    UniqueFd launch, rings, noGrants, noGrantsConfig;
    bool exactErrno = false;
    bool reuseport = false;
  };

 private:
  Programs(Set set, Policy policy, Origin origin, std::string detail, std::string pinnedDir)
      : set_(std::move(set)),
        policy_(policy),
        origin_(origin),
        originDetail_(std::move(detail)),
        pinnedDir_(std::move(pinnedDir)),
        exactErrno_(set_.exactErrno) {}
  Result<UniqueFd> slotRing(uint32_t slot) const;
  Set set_;
  Policy policy_;
  Origin origin_ = Origin::kLoaded;
  std::string originDetail_;
  std::string pinnedDir_;  // where this set is pinned; empty when it is not
  bool exactErrno_ = false;
};

// The directory of this privbind's pinned set: /sys/fs/bpf/privbind/launch-<version>.
std::string launchPinDir();

}  // namespace privbind::cgroupmode
