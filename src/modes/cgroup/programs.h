// The BPF programs of bind.bpf.c, embedded as a libbpf skeleton: load them with a policy (the
// probe: nothing on the system changes), then attach them to a cgroup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "modes/cgroup/policy.h"

struct bind_bpf;

namespace privbind::cgroupmode {

class Programs {
 public:
  // Needs: CAP_BPF (or CAP_SYS_ADMIN) and a kernel whose verifier accepts the return value 3 of
  // a cgroup/bind4 program (BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE). Leaves: the loaded programs
  // (bind4/6; post_bind4/6 only with -n, which is all they serve) held by this object's descriptors
  // (close-on-exec), attached nowhere.
  static Result<Programs> load(const Policy& policy);

  // Needs: CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN), cgroupFd an open cgroup v2 directory.
  // Leaves: the loaded programs attached to it through BPF links (bpf(2) BPF_LINK_CREATE), one
  // descriptor each, close-on-exec. A link lives as long as its last descriptor: whoever holds
  // them holds the grant, and the kernel detaches the programs the moment it dies, however it
  // dies. Programs of parent cgroups keep running (links are always "multi").
  Result<std::vector<UniqueFd>> link(int cgroupFd) const;

  // The ring buffer on which the programs put the first refusal of each port by -p or -n
  // (bind.bpf.c's struct refusal); owned by this object.
  int refusalsFd() const;

  // The programs loaded (and linked by link()), for -v: "bind4/bind6/post_bind4/post_bind6".
  std::string names() const;

  // Whether the programs can put anything on the ring buffer (-p, -n, --max-bound, --trace-binds):
  // without any of them the watcher does not map it.
  bool reportsRefusals() const { return reportsRefusals_; }

  // With -n: whether a refused post_bind fails with EACCES (bpf_set_retval, Linux 5.18) or EPERM.
  bool exactErrno() const { return exactErrno_; }

  Programs(Programs&& other) noexcept;
  Programs& operator=(Programs&& other) noexcept;
  ~Programs();

 private:
  struct Deleter {
    void operator()(bind_bpf* skel) const;
  };
  Programs(std::unique_ptr<bind_bpf, Deleter> skel, bool exactErrno, bool reportsRefusals)
      : skel_(std::move(skel)), exactErrno_(exactErrno), reportsRefusals_(reportsRefusals) {}
  std::unique_ptr<bind_bpf, Deleter> skel_;
  bool exactErrno_ = false;
  bool reportsRefusals_ = false;
};

}  // namespace privbind::cgroupmode
