// Port lists as given to --ports and --reuseport: "80,443,8000-8010".
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace privbind::ports {

class PortSet {
 public:
  bool empty() const { return bits_.none(); }
  bool contains(uint16_t port) const { return bits_.test(port); }
  void add(uint16_t port) { bits_.set(port); }
  size_t size() const { return bits_.count(); }
  // Canonical text, ranges folded: "80,443,8000-8010".
  std::string toString() const;
  bool operator==(const PortSet&) const = default;

 private:
  std::bitset<65536> bits_;
};

// Ports 1..65535; a range is "LOW-HIGH" with LOW <= HIGH; no empty items, no port twice.
Result<PortSet> parse(std::string_view text);

// -p and -n refuse a bind by not granting it: the kernel then says EACCES, as it would without
// privbind. So that this is not a silent surprise, privbind says so on its stderr once per port
// (the broker helper, the cgroup watcher), in the same words in every mode.
enum class Refusal { kNotInPorts, kBindsUsedUp };

// Why, from the command line's limits: "not in -p 80,443", "-n 1 privileged bind used up (...)".
std::string refusalReason(Refusal why, const std::optional<PortSet>& ports,
                          std::optional<unsigned> binds);

// "privbind: port 53/udp: bind refused: <reason>\n" into out, cut to its size, without allocating
// (the cgroup watcher formats it under a seccomp filter that has no brk or mmap). protocol is
// IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP. Returns the length written.
size_t formatRefusal(std::span<char> out, unsigned port, int protocol, std::string_view reason);

}  // namespace privbind::ports
