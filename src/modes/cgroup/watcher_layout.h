// The watcher's descriptors once it is set up: each at a fixed number, so that its seccomp filter
// can name the one descriptor a call may use, and nothing else stays open. A unit test holds the
// table to its rules (distinct, consecutive from 3, the links last) and the filter to the table.
#pragma once

#include <array>
#include <string_view>

namespace privbind::cgroupmode {

inline constexpr int kParentFd = 3;      // the parent cgroup directory
inline constexpr int kLockFd = 4;        // its own cgroup directory, locked
inline constexpr int kEventsFd = 5;      // <cgroup>/cgroup.events
inline constexpr int kLifelineFd = 6;    // read end of the lifeline
inline constexpr int kReportFd = 7;      // the start-up report to privbind
inline constexpr int kRefusalsFd = 8;    // the programs' ring buffer of refusals
inline constexpr int kNoticeFd = 9;      // privbind's stderr, for the refusal lines
inline constexpr int kCommandFd = 10;    // a pidfd of privbind
inline constexpr int kRingLockFd = 11;   // the lock of the run's ring buffer slot
inline constexpr int kFirstLinkFd = 12;  // the BPF links, from here up

struct WatcherFd {
  std::string_view name;
  int number;
  std::string_view purpose;
};

inline constexpr std::array<WatcherFd, 10> kWatcherFds = {{
    {"parent", kParentFd,
     "the parent cgroup directory: fstatat(parent, name) and unlinkat(parent, name, "
     "AT_REMOVEDIR), nothing else"},
    {"cgroup", kLockFd,
     "the cgroup privbind created, with its flock(2) (held as long as the watcher lives, so "
     "that removeLeftovers() in other runs leaves it alone); its inode is the one every removal "
     "is checked against"},
    {"events", kEventsFd, "<cgroup>/cgroup.events: populated 0/1, POLLPRI on change"},
    {"lifeline", kLifelineFd, "end of file when privbind has exec'd the command or died"},
    {"report", kReportFd, R"("ok <pid>" or "error <why>" to privbind; closed once set up)"},
    {"refusals", kRefusalsFd,
     "the run's ring buffer of binds -p or -n refused, and of --trace-binds (/dev/null without "
     "them)"},
    {"notice", kNoticeFd,
     "a copy of privbind's stderr (or /dev/null) for the refusal lines; the one write target"},
    {"command", kCommandFd, "a pidfd of privbind, which is or runs the command (or /dev/null)"},
    {"ring lock", kRingLockFd,
     "the flock(2) of the ring buffer's slot in the pinned set (/dev/null without one): the "
     "slot is the run's while the watcher lives; no call uses it"},
    {"links", kFirstLinkFd,
     "the BPF links (bind4/6; post_bind4/6, sock_release as the limits need), last: the grant "
     "lives as long as the watcher"},
}};

}  // namespace privbind::cgroupmode
