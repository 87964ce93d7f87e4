// Everything the command line says, as plain data. Filled by src/cli, read by the modes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ports.h"

namespace privbind {

// kAuto: cgroup mode where this host can do it, otherwise broker mode (chosen in main.cpp).
enum class Mode { kAuto, kCgroup, kBroker, kCaps };

struct LaunchOptions {
  std::string user;                 // -u: name or uid
  std::string group;                // -g: name or gid; empty = the user's primary group
  bool noGroups = false;            // -G: no supplementary groups
  Mode mode = Mode::kAuto;          // -m
  bool verbose = false;             // -v
  bool allowSetuid = false;         // --allow-setuid: do not set no_new_privs
  bool keepEnv = false;             // --keep-env: leave HOME, USER, LOGNAME as they are
  // Broker and cgroup mode.
  std::optional<unsigned> binds;    // -n: at most this many privileged binds
  std::optional<ports::PortSet> ports;      // -p: only these reserved ports are granted
  std::optional<ports::PortSet> reuseport;  // -r: SO_REUSEPORT before binding these
  // Broker mode only.
  std::string preload;              // -l: shim path
  bool noTargetCheck = false;       // --no-target-check: run targets the shim cannot reach
  std::vector<std::string> command; // COMMAND [ARG...]
};

}  // namespace privbind
