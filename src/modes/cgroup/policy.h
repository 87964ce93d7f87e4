// The policy of one run; programs.cpp writes it into the programs' cgroup storage as
// struct privbind_launch (launch_layout.h).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>

#include "common/ports.h"

namespace privbind::cgroupmode {

struct Policy {
  uid_t uid = 0;                            // only this user's binds are granted
  unsigned unprivilegedStart = 1024;        // ports 1..start-1 are reserved
  std::optional<ports::PortSet> ports;      // -p
  std::optional<ports::PortSet> reuseport;  // -r
  std::optional<unsigned> binds;            // -n
  uint64_t netnsCookie = 0;                 // of privbind's network namespace: the grant's only one
  std::optional<unsigned> maxBound;         // --max-bound
  bool traceBinds = false;                  // --trace-binds
};

// A port set as 1024 64-bit words, bit (port % 64) of word (port / 64): the layout of
// allowed_ports and reuseport_ports in struct privbind_launch (launch_layout.h).
using PortWords = std::array<uint64_t, 65536 / 64>;
PortWords portWords(const ports::PortSet& set);

}  // namespace privbind::cgroupmode
