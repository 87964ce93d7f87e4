// Everything the command line says, as plain data. Filled by src/cli, read by the modes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ports.h"

namespace privbind {

enum class Mode { kBroker, kCaps };

struct LaunchOptions {
  std::string user;                 // -u: name or uid
  std::string group;                // -g: name or gid; empty = the user's primary group
  bool noGroups = false;            // -G: no supplementary groups
  Mode mode = Mode::kBroker;        // -m
  bool verbose = false;             // -v
  bool allowSetuid = false;         // --allow-setuid: do not set no_new_privs
  bool keepEnv = false;             // --keep-env: leave HOME, USER, LOGNAME as they are
  // Broker mode only.
  std::optional<unsigned> binds;    // -n: helper exits after this many privileged binds
  std::string preload;              // -l: shim path
  std::optional<ports::PortSet> ports;      // -p: only these reserved ports are brokered
  std::optional<ports::PortSet> reuseport;  // -r: SO_REUSEPORT before binding these
  bool noTargetCheck = false;       // --no-target-check: run targets the shim cannot reach
  std::vector<std::string> command; // COMMAND [ARG...]
};

}  // namespace privbind
