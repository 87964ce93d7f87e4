// --trace-binds: one line per privileged bind, with the smallest -p LIST -n NUM that would have
// allowed every privileged bind so far:
//   privbind: trace: bind 53/udp [::1]; so far: -p 53 -n 4
// Used by the broker helper and the cgroup watcher, in the same words. Allocates nothing: the
// watcher formats under a seccomp filter that has no brk or mmap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace privbind::bindtrace {

// One successful privileged bind, as the kernel (cgroup mode) or the helper (broker mode) saw it.
struct Bind {
  uint16_t port = 0;
  int protocol = 0;          // IPPROTO_TCP, IPPROTO_UDP (anything else is named by number)
  int family = 0;            // AF_INET, AF_INET6
  uint8_t address[16] = {};  // network byte order; the first 4 bytes for AF_INET
};

class Tally {
 public:
  // Counts b and writes its line, newline included, into out (cut to out's size, still ending in
  // a newline). Returns the length written.
  size_t add(const Bind& b, std::span<char> out);

 private:
  uint64_t ports_[65536 / 64] = {};
  unsigned long binds_ = 0;
};

}  // namespace privbind::bindtrace

namespace privbind::bindtrace {

// The reason of the once-per-port refusal line when --max-bound is reached:
// "--max-bound 2: 2 privileged sockets are bound now (a closed socket frees its place)".
std::string boundAtOnceReason(unsigned maxBound);

}  // namespace privbind::bindtrace
