// BPF objects that outlive privbind: pinned in bpffs under /sys/fs/bpf/privbind, root's only.
// The generic part, for any program set privbind keeps attached (standing grants today; cgroup
// mode can pin its own next to them): mounting bpffs, the pin directory, telling what a pin
// really is, and making a pinned cgroup link run a given program (created, repaired, upgraded
// in place with BPF_LINK_UPDATE, or replaced when the pin holds something else).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::bpf {

inline constexpr const char* kBpffs = "/sys/fs/bpf";
inline constexpr const char* kPinDir = "/sys/fs/bpf/privbind";

// What a descriptor from bpf_obj_get(2) refers to (/proc/self/fd: "anon_inode:bpf-link", ...).
enum class ObjectKind { kMap, kProgram, kLink, kOther };
ObjectKind kindOf(int fd);
const char* kindName(ObjectKind kind);

// Whether bpffs is mounted at /sys/fs/bpf (statfs(2) f_type BPF_FS_MAGIC).
bool bpffsMounted();

// Needs: CAP_SYS_ADMIN (mount) and root. Leaves: bpffs mounted at /sys/fs/bpf (mounted with
// mode 0700 when privbind mounts it), and kPinDir a directory owned by root, mode 0700.
// Refuses a kPinDir that is not a directory or not root's.
Status preparePinDir();

// Opens a pin: an invalid UniqueFd when there is none (ENOENT), an Error on any other failure.
Result<UniqueFd> openPin(const std::string& path);

// Pins fd at path, atomically replacing what is there (bpf_obj_pin(2) to a temporary name in
// the same directory, then rename(2), which bpffs supports).
Status pinReplacing(int fd, const std::string& path);

// The cgroup v2 hierarchy's root, from /proc/self/mountinfo: its directory, opened, and its
// cgroup id (what a cgroup link's info reports). Refuses when privbind's view of the hierarchy
// is not the whole of it (a cgroup namespace or a mount of a subtree).
struct RootCgroup {
  std::string path;
  UniqueFd fd;
  uint64_t id = 0;
};
Result<RootCgroup> openRootCgroup();

// A program's identity as the kernel reports it.
struct ProgramInfo {
  uint32_t type = 0;             // enum bpf_prog_type
  std::string name;              // up to 15 characters
  std::string tag;               // 16 hex digits: a hash of the instructions (map fds zeroed)
  std::vector<uint32_t> mapIds;  // the maps it uses
};
Result<ProgramInfo> programInfo(int progFd);

// The state of a pinned cgroup link, as `privbind grants` reports it.
enum class LinkState {
  kMissing,       // no pin
  kCurrent,       // attached where it should be, running exactly the program privbind would load
  kOtherProgram,  // attached where it should be, running another program (an older privbind,
                  // or another program at privbind's pin: both replaced by link update)
  kDetached,      // the link exists but was detached (bpftool cgroup detach, BPF_LINK_DETACH)
  kForeign,       // the pin is not a link to that hook of the root cgroup
};
const char* linkStateName(LinkState state);

struct LinkCheck {
  LinkState state = LinkState::kMissing;
  std::string detail;  // what was found, for the report: "a map", "program 'x' tag ...", ...
  UniqueFd fd;         // the link, when the pin holds one
  uint32_t progId = 0;
};

// What the pin at path holds, compared with the link privbind wants: attached to cgroup
// `cgroupId` at `type`, running a program like `want` (same tag and maps).
Result<LinkCheck> checkLink(const std::string& path, uint64_t cgroupId, bpf_attach_type type,
                            const ProgramInfo& want);

// Needs: CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN), the pin directory prepared. Leaves: the
// pin at path a link of cgroup `root` at `type` that runs progFd. A link in place running
// another program is switched with BPF_LINK_UPDATE (BPF_F_REPLACE of the program it ran): the
// hook never runs without a program, so no bind sees a moment without the grant. A missing,
// detached or foreign pin gets a new link, pinned over it. Returns what was repaired, one
// sentence each (nothing when it was in order).
Result<std::vector<std::string>> ensureLink(const std::string& path, const RootCgroup& root,
                                            bpf_attach_type type, int progFd);

// Removes the pin at path. A link there that runs a program named progName is detached first
// (BPF_LINK_DETACH, so that a descriptor held elsewhere keeps nothing attached); whatever else
// is pinned there is only unpinned. true when there was something.
Result<bool> removeLinkPin(const std::string& path, const std::string& progName);

}  // namespace privbind::bpf
