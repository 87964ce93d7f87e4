#include "cli/cli.h"

#include <algorithm>
#include <span>

#include "cli/argtable.h"
#include "privbind/version.h"

namespace privbind::cli {

namespace {

using Row = argtable::Option<LaunchOptions>;

constexpr unsigned kAllModes = kInBroker | kInCgroup | kInCaps;
constexpr unsigned kLimits = kInBroker | kInCgroup;  // a helper or a kernel program enforces them

// The values of -m, in help order.
constexpr const char* kModeNames[] = {"auto", "cgroup", "broker", "caps"};
constexpr Mode kModes[] = {Mode::kAuto, Mode::kCgroup, Mode::kBroker, Mode::kCaps};

Status fail(std::string why) { return Error::refuse("", std::move(why)); }

Status setMode(LaunchOptions& o, const std::string& v) {
  for (size_t i = 0; i < std::size(kModeNames); ++i)
    if (v == kModeNames[i]) {
      o.mode = kModes[i];
      return {};
    }
  return fail("'" + v + "' is not a mode; expected auto, cgroup, broker or caps");
}

Status setBinds(LaunchOptions& o, const std::string& v) {
  bool digits = !v.empty() && v.size() <= 9 &&
                std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  unsigned n = digits ? static_cast<unsigned>(std::stoul(v)) : 0;
  if (n == 0) return fail("'" + v + "' is not a whole number from 1");
  o.binds = n;
  return {};
}

Result<ports::PortSet> portList(const std::string& v) {
  auto set = ports::parse(v);
  if (!set) return Error::refuse("", set.error().why() + " in '" + v + "'");
  return set;
}

// The one description of the launcher's options. Row order is help order and apply order.
constexpr Row kTable[] = {
    {'u', "user", "USER", kAllModes, "run as USER (name or uid); required, never root",
     [](LaunchOptions& o, const std::string& v) -> Status {
       o.user = v;
       return {};
     }},
    {'g', "group", "GROUP", kAllModes,
     "run with GROUP (name or gid) as primary group\n"
     "(default: USER's primary group; required for a uid\n"
     "that has no passwd entry); never gid 0",
     [](LaunchOptions& o, const std::string& v) -> Status {
       o.group = v;
       return {};
     }},
    {'G', "no-groups", nullptr, kAllModes, "no supplementary groups (default: all of USER's)",
     [](LaunchOptions& o, const std::string&) -> Status {
       o.noGroups = true;
       return {};
     }},
    {'m', "mode", "MODE", kAllModes, "auto, cgroup, broker or caps (default: auto)", setMode},
    {0, "allow-setuid", nullptr, kAllModes,
     "do not set no_new_privs, so COMMAND may run setuid\n"
     "programs (they still get no capability beyond the\n"
     "bounding set privbind leaves)",
     [](LaunchOptions& o, const std::string&) -> Status {
       o.allowSetuid = true;
       return {};
     }},
    {0, "keep-env", nullptr, kAllModes,
     "keep HOME, USER and LOGNAME as they are (by default\n"
     "they describe USER; the rest of the environment is\n"
     "always kept)",
     [](LaunchOptions& o, const std::string&) -> Status {
       o.keepEnv = true;
       return {};
     }},
    {'v', "verbose", nullptr, kAllModes, "say what privbind does, on stderr",
     [](LaunchOptions& o, const std::string&) -> Status {
       o.verbose = true;
       return {};
     }},
    {'h', "help", nullptr, kAllModes, "show this help and exit",
     [](LaunchOptions&, const std::string&) -> Status { return {}; }},
    {'V', "version", nullptr, kAllModes, "show the version and exit",
     [](LaunchOptions&, const std::string&) -> Status { return {}; }},
    {'p', "ports", "LIST", kLimits,
     "only these reserved ports, e.g. 80,443,8000-8010;\n"
     "binds of other reserved ports fail with EACCES\n"
     "(said on stderr, once per port)",
     [](LaunchOptions& o, const std::string& v) -> Status {
       auto set = portList(v);
       if (!set) return set.error();
       o.ports = *set;
       return {};
     }},
    {'n', "binds", "NUM", kLimits,
     "NUM privileged binds, then EACCES (said on stderr,\n"
     "once per port); each bind counts: UDP and TCP on\n"
     "one port are 2, on IPv4 and IPv6 4",
     setBinds},
    {'r', "reuseport", "LIST", kLimits, "set SO_REUSEPORT before binding these ports",
     [](LaunchOptions& o, const std::string& v) -> Status {
       auto set = portList(v);
       if (!set) return set.error();
       o.reuseport = *set;
       return {};
     }},
    {'l', "preload", "PATH", kInBroker, "use this preload library instead of the installed one",
     [](LaunchOptions& o, const std::string& v) -> Status {
       o.preload = v;
       return {};
     }},
    {0, "no-target-check", nullptr, kInBroker,
     "run COMMAND even when the preload library cannot\n"
     "reach it (static binary, Go program, setuid binary)",
     [](LaunchOptions& o, const std::string&) -> Status {
       o.noTargetCheck = true;
       return {};
     }},
};

constexpr std::span<const Row> kRows = kTable;

size_t rowOf(std::string_view longName) {
  for (size_t i = 0; i < kRows.size(); ++i)
    if (longName == kRows[i].longName) return i;
  return kRows.size();
}

Error usage(const std::string& what, std::string why) { return Error::usage(what, std::move(why)); }

// An option the chosen mode has no use for is refused: it would be silently ignored otherwise.
// With auto, an option only broker mode has chooses broker mode.
Status checkModes(const argtable::Split& split, LaunchOptions& o) {
  for (const auto& g : split.given) {
    const Row& row = kRows[g.row];
    switch (o.mode) {
      case Mode::kCaps:
        if (!(row.mask & kInCaps))
          return usage(argtable::display(row),
                       "not in caps mode: the command holds CAP_NET_BIND_SERVICE itself, so "
                       "there is no helper or kernel policy to limit and no library to load");
        break;
      case Mode::kCgroup:
        if (!(row.mask & kInCgroup))
          return usage(argtable::display(row),
                       "broker mode only: cgroup mode preloads no library, the kernel grants "
                       "the binds for any program");
        break;
      case Mode::kBroker:
        if (!(row.mask & kInBroker)) return usage(argtable::display(row), "not in broker mode");
        break;
      case Mode::kAuto:
        if (!(row.mask & kInCgroup) && (row.mask & kInBroker)) {
          o.mode = Mode::kBroker;
          o.modeReason = argtable::display(row) + " is a broker-mode option";
        }
        break;
    }
  }
  return {};
}

}  // namespace

Result<Parsed> parse(const std::vector<std::string>& args) {
  Parsed parsed;
  if (!args.empty() && args[0] == "doctor") {
    parsed.action = Action::kDoctor;
    parsed.doctorArgs.assign(args.begin() + 1, args.end());
    return parsed;
  }
  // Standing grants: privbind grant|revoke|grants ... (src/grants parses the rest).
  if (!args.empty() && (args[0] == "grant" || args[0] == "revoke" || args[0] == "grants")) {
    parsed.action = Action::kGrants;
    parsed.grantsCommand = args[0];
    parsed.grantsArgs.assign(args.begin() + 1, args.end());
    return parsed;
  }
  auto split = argtable::split(kRows, args, argtable::Operands::kEndOptions);
  if (!split) return split.error();
  // --help and --version answer whatever else is on the line, once every name is known.
  if (split->has(rowOf("help"))) {
    parsed.action = Action::kHelp;
    return parsed;
  }
  if (split->has(rowOf("version"))) {
    parsed.action = Action::kVersion;
    return parsed;
  }

  LaunchOptions& o = parsed.options;
  if (auto s = argtable::apply(kRows, *split, o); !s) return s.error();
  if (auto s = checkModes(*split, o); !s) return s.error();

  // Conflicts between values: SO_REUSEPORT on a port that -p never lets bind does nothing.
  if (o.reuseport && o.ports) {
    ports::PortSet outside;
    for (unsigned p = 1; p <= 65535; ++p)
      if (o.reuseport->contains(static_cast<uint16_t>(p)) &&
          !o.ports->contains(static_cast<uint16_t>(p)))
        outside.add(static_cast<uint16_t>(p));
    if (!outside.empty())
      return usage("-r/--reuseport", outside.toString() + " not in -p/--ports, so never bound");
  }
  if (!split->has(rowOf("user")))
    return usage("-u/--user", "required: the user the command runs as");
  if (split->operands.empty()) return usage("COMMAND", "missing: what should privbind run?");
  if (split->operands[0].empty()) return usage("COMMAND", "empty name");
  o.command = std::move(split->operands);
  return parsed;
}

Status validate(const LaunchOptions& options, unsigned unprivilegedPortStart) {
  for (auto [name, set] :
       {std::pair{"-p/--ports", &options.ports}, std::pair{"-r/--reuseport", &options.reuseport}}) {
    if (!*set) continue;
    ports::PortSet unreserved;
    for (unsigned p = std::max(1u, unprivilegedPortStart); p <= 65535; ++p)
      if ((*set)->contains(static_cast<uint16_t>(p))) unreserved.add(static_cast<uint16_t>(p));
    if (!unreserved.empty())
      return usage(name, unreserved.toString() + (unreserved.size() == 1 ? " is" : " are") +
                             " not reserved (net.ipv4.ip_unprivileged_port_start is " +
                             std::to_string(unprivilegedPortStart) +
                             "): any user may bind them, privbind has nothing to grant");
  }
  return {};
}

std::vector<OptionInfo> optionTable() {
  std::vector<OptionInfo> out;
  for (const auto& r : kRows)
    out.push_back({r.shortName, r.longName, r.valueName != nullptr, r.mask});
  return out;
}

std::vector<std::string> modeNames() { return {std::begin(kModeNames), std::end(kModeNames)}; }

std::string versionText() { return std::string("privbind ") + PRIVBIND_VERSION + "\n"; }

std::string helpText() {
  return std::string(R"(Usage: privbind [OPTIONS] [--] COMMAND [ARG...]
       privbind doctor [OPTIONS] [TARGET]
       privbind grant -u USER|-g GROUP -p PORTS [--tcp|--udp] [--any-netns]
       privbind revoke -u USER|-g GROUP [-p PORTS] [--tcp|--udp]
       privbind grants [--json] | privbind grants apply | privbind grants off

Run COMMAND as an unprivileged user and still let it bind TCP/UDP ports below
net.ipv4.ip_unprivileged_port_start (normally 1024). Run privbind as root.
COMMAND replaces privbind (same pid; in cgroup mode as process 1 of a pid
namespace privbind stays as its init instead); its exit status is privbind's.
COMMAND is looked up on PATH as USER would find it, and that file is the one
checked and run; relative PATH entries (empty or ".") are refused.

Modes:
  auto (default)    cgroup mode where this host can do it, otherwise broker
                    mode (-v says which and why); -l and --no-target-check
                    choose broker mode.
  cgroup            COMMAND runs with no capability at all, in a cgroup of its
                    own where a BPF program lets the kernel grant the reserved
                    ports (Linux 5.12 or later, cgroup v2, CAP_BPF). Works for
                    any program: static, Go, scripts, daemons. The cgroup and
                    its programs go when the last process in it exits.
  broker            COMMAND runs with no capability at all. A preload library
                    sends each privileged bind(2) to a small helper that holds
                    only CAP_NET_BIND_SERVICE and checks every request.
                    Needs a dynamically linked COMMAND (not static, not Go).
  caps              COMMAND keeps CAP_NET_BIND_SERVICE as an ambient capability
                    and nothing else. No helper, no preload: works for static
                    binaries, Go programs and scripts alike.

Options:
)") + argtable::render(kRows, kAllModes) +
         "\nNot in caps mode (limits enforced by the helper or the kernel):\n" +
         argtable::render(kRows, kLimits) + "\nBroker mode only:\n" +
         argtable::render(kRows, kInBroker) + R"(
Options end at the first word that is not an option, or at "--":
  privbind -u app java -jar app.jar -u foo     passes "-u foo" to java.
Each option may be given once.

Examples:
  privbind -u www-data -- python3 -m http.server 80
  privbind -u app -p 80,443 -n 2 -- java -jar server.jar
  privbind -m cgroup -u app -p 443 -- ./server-written-in-go --listen :443
  privbind -m caps -u app -- ./server-written-in-go --listen :443
  privbind doctor java          why won't java start or bind?
  privbind doctor --fix /opt/jdk/bin/java
                                make a setcap'd java find libjli.so again
  privbind grant -u alice -p 80,443 --tcp
                                a standing grant: alice's own servers, any
                                program, no launcher (privbind grant --help)

Exit status:
  125 privbind failed or refused (message: "privbind: <what>: <why>")
  126 COMMAND was found but could not be run
  127 COMMAND was not found
  otherwise the exit status of COMMAND
  doctor: 0 no problem found, 1 problems found, 125 could not inspect
  (privbind doctor --help explains its options)

COMMAND runs in privbind's working directory; if USER cannot enter it,
privbind warns (cd first, or set WorkingDirectory= in a systemd unit).

See privbind(8), and docs/ for cgroup, caps and broker mode and the Java RPATH trap.
)";
}

}  // namespace privbind::cli
