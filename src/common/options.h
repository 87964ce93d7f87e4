// Everything the command line says, as plain data. Filled by src/cli, read by the modes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ports.h"

namespace privbind {

// kAuto: cgroup mode where the host can do it, else broker mode. An option that only broker mode
// has (-l, --no-target-check) makes the command line choose broker mode itself.
enum class Mode { kAuto, kCgroup, kBroker, kCaps };

struct LaunchOptions {
  std::string user;          // -u: name or uid
  std::string group;         // -g: name or gid; empty = the user's primary group
  bool noGroups = false;     // -G: no supplementary groups
  Mode mode = Mode::kAuto;   // -m
  std::string modeReason;    // why the command line chose the mode, for -v; may be empty
  bool verbose = false;      // -v
  bool allowSetuid = false;  // --allow-setuid: do not set no_new_privs
  bool keepEnv = false;      // --keep-env: leave HOME, USER, LOGNAME as they are
  // Broker and cgroup modes.
  std::optional<unsigned> binds;            // -n: this many privileged binds, then no more
  std::optional<ports::PortSet> ports;      // -p: only these reserved ports
  std::optional<ports::PortSet> reuseport;  // -r: SO_REUSEPORT before binding these
  // --max-bound: at most this many privileged sockets bound at once (a closed one frees its place)
  std::optional<unsigned> maxBound;
  bool traceBinds = false;  // --trace-binds: say each privileged bind and the -p/-n it needs
  // Broker mode only.
  std::string preload;               // -l: shim path
  bool noTargetCheck = false;        // --no-target-check: run targets the shim cannot reach
  std::vector<std::string> command;  // COMMAND [ARG...]
};

}  // namespace privbind
