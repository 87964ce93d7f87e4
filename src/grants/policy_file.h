// The standing grants' policy: /etc/privbind/grants.conf, one human-readable line per grant.
//
//   # comment
//   user  NAME UID tcp|udp PORTS [any-netns]
//   group NAME GID tcp|udp PORTS [any-netns]
//
// PORTS is a list as for -p ("80,443,8000-8010"). NAME and the numeric id are both stored: the
// kernel enforces the id, and a name that no longer maps to it is reported. Written atomically
// (a temporary file in the same directory, fsync, rename, fsync of the directory) under an
// exclusive lock, so that concurrent writers lose no update and a crash leaves either the old
// or the new file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/grants_programs.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace privbind::grants {

inline constexpr const char* kPolicyDir = "/etc/privbind";
inline constexpr const char* kPolicyPath = "/etc/privbind/grants.conf";
inline constexpr const char* kLockDir = "/run/privbind";
inline constexpr const char* kLockPath = "/run/privbind/grants.lock";

struct Grant {
  std::string name;  // the user or group name as stored
  bool anyNetns = false;
  bool operator==(const Grant&) const = default;
};
// (user or group, id, port, protocol) -> name and scope.
using Policy = std::map<bpf::GrantKey, Grant>;

// The file's text -> policy. Errors name the file and line: "grants.conf:3: <why>". id 0 is
// refused (root needs no grant, and a grant to gid 0 would be one to root's group).
Result<Policy> parsePolicy(std::string_view text, const std::string& path = kPolicyPath);
// Policy -> the file's text, the comment block first; one line per (principal, protocol,
// scope), ports folded: formatPolicy(parsePolicy(x)) is stable.
std::string formatPolicy(const Policy& policy);

// The kernel's table for a policy.
bpf::GrantTable tableOf(const Policy& policy);

// "tcp" / "udp".
const char* protocolName(uint8_t protocol);

// Reads kPolicyPath; no file is an empty policy. Refuses a file (or directory) that is not
// root's or that others can write: whoever writes it grants ports.
Result<Policy> readPolicy();

// Needs: root. Leaves: kPolicyPath holding policy, replaced atomically.
Status writePolicy(const Policy& policy);

// Needs: root. Holds flock(2) on kLockPath (exclusive, or shared for readers) for as long as it
// lives: every change to the file or the pinned state happens under it.
Result<UniqueFd> lockPolicy(bool exclusive);

}  // namespace privbind::grants
