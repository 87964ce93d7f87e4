#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>

#include "privbind/version.h"

namespace privbind::cli {

namespace {

struct OptionSpec {
  char shortName;     // 0 when there is none
  const char* longName;
  bool takesValue;
  bool brokerOnly;
};

constexpr OptionSpec kOptions[] = {
    {'u', "user", true, false},         {'g', "group", true, false},
    {'G', "no-groups", false, false},   {'m', "mode", true, false},
    {'n', "binds", true, true},         {'l', "preload", true, true},
    {'p', "ports", true, true},         {'r', "reuseport", true, true},
    {0, "no-target-check", false, true}, {0, "allow-setuid", false, false},
    {0, "keep-env", false, false},      {'v', "verbose", false, false},
    {'h', "help", false, false},        {'V', "version", false, false},
};

const OptionSpec* findShort(char c) {
  for (const auto& o : kOptions)
    if (o.shortName == c) return &o;
  return nullptr;
}

const OptionSpec* findLong(std::string_view name) {
  for (const auto& o : kOptions)
    if (name == o.longName) return &o;
  return nullptr;
}

std::string display(const OptionSpec& o) {
  std::string out;
  if (o.shortName) out = std::string("-") + o.shortName + "/";
  return out + "--" + o.longName;
}

Error usage(std::string what, std::string why) {
  return Error::usage(std::move(what), std::move(why));
}

// Splits args into options and the command, the way getopt with a leading '+' would: parsing
// stops at the first word that is not an option or at "--". Checks every option name and refuses
// an option given twice, so that CLI11 below only converts values.
struct Split {
  std::vector<std::string> options;
  std::vector<std::string> command;
  std::map<std::string, int> seen;  // long name -> count
};

Result<Split> split(const std::vector<std::string>& args) {
  Split out;
  auto note = [&](const OptionSpec& o) -> Status {
    if (++out.seen[o.longName] > 1) return usage(display(o), "given more than once");
    return {};
  };
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the command starts here
    out.options.push_back(a);
    if (a[1] == '-') {
      std::string name = a.substr(2);
      bool attached = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        name.resize(eq);
        attached = true;
      }
      const OptionSpec* o = findLong(name);
      if (!o) return usage("--" + name, "unknown option");
      if (auto s = note(*o); !s) return s.error();
      if (attached && !o->takesValue) return usage(display(*o), "takes no value");
      if (o->takesValue && !attached) {
        if (i + 1 >= args.size()) return usage(display(*o), "needs a value");
        out.options.push_back(args[++i]);
      }
      continue;
    }
    // A cluster of short options: -vG, -uapp, -vu app.
    for (size_t k = 1; k < a.size(); ++k) {
      const OptionSpec* o = findShort(a[k]);
      if (!o) return usage(std::string("-") + a[k], "unknown option");
      if (auto s = note(*o); !s) return s.error();
      if (o->takesValue) {
        if (k + 1 == a.size()) {
          if (i + 1 >= args.size()) return usage(display(*o), "needs a value");
          out.options.push_back(args[++i]);
        }
        break;
      }
    }
  }
  out.command.assign(args.begin() + static_cast<long>(i), args.end());
  return out;
}

Result<unsigned> parseCount(const std::string& text) {
  unsigned long v = 0;
  size_t used = 0;
  bool ok = !text.empty() && text.size() <= 9 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (ok) v = std::stoul(text, &used);
  if (!ok || v == 0) return usage("-n/--binds '" + text + "'", "expected a whole number from 1");
  return static_cast<unsigned>(v);
}

}  // namespace

Result<Parsed> parse(const std::vector<std::string>& args) {
  Parsed parsed;
  if (!args.empty() && args[0] == "doctor") {
    parsed.action = Action::kDoctor;
    parsed.doctorArgs.assign(args.begin() + 1, args.end());
    return parsed;
  }
  auto sp = split(args);
  if (!sp) return sp.error();

  LaunchOptions& o = parsed.options;
  std::string mode, binds, ports, reuseport;
  bool help = false, version = false;
  CLI::App app{"privbind"};
  app.set_help_flag();
  app.allow_extras(false);
  app.add_option("-u,--user", o.user);
  app.add_option("-g,--group", o.group);
  app.add_flag("-G,--no-groups", o.noGroups);
  app.add_option("-m,--mode", mode);
  app.add_option("-n,--binds", binds);
  app.add_option("-l,--preload", o.preload);
  app.add_option("-p,--ports", ports);
  app.add_option("-r,--reuseport", reuseport);
  app.add_flag("--no-target-check", o.noTargetCheck);
  app.add_flag("--allow-setuid", o.allowSetuid);
  app.add_flag("--keep-env", o.keepEnv);
  app.add_flag("-v,--verbose", o.verbose);
  app.add_flag("-h,--help", help);
  app.add_flag("-V,--version", version);
  try {
    std::vector<std::string> reversed(sp->options.rbegin(), sp->options.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return usage("command line", e.what());
  }

  if (help) {
    parsed.action = Action::kHelp;
    return parsed;
  }
  if (version) {
    parsed.action = Action::kVersion;
    return parsed;
  }

  if (sp->seen.contains("mode")) {
    if (mode == "auto") {
      o.mode = Mode::kAuto;
    } else if (mode == "cgroup") {
      o.mode = Mode::kCgroup;
    } else if (mode == "broker") {
      o.mode = Mode::kBroker;
    } else if (mode == "caps") {
      o.mode = Mode::kCaps;
    } else {
      return usage("-m/--mode '" + mode + "'", "expected 'auto', 'cgroup', 'broker' or 'caps'");
    }
  }
  if (o.mode == Mode::kCgroup) {
    for (const char* name : {"preload", "no-target-check"})
      if (sp->seen.contains(name))
        return usage(display(*findLong(name)),
                     "is a broker-mode option; cgroup mode loads no preload library, and the "
                     "kernel grants the bind whatever the program is");
  }
  if (o.mode == Mode::kCaps) {
    for (const auto& spec : kOptions)
      if (spec.brokerOnly && sp->seen.contains(spec.longName))
        return usage(display(spec), "is a broker-mode option; caps mode has no helper and no "
                                    "preload library, so it has nothing to limit or load");
  }
  if (sp->seen.contains("binds")) {
    auto n = parseCount(binds);
    if (!n) return n.error();
    o.binds = *n;
  }
  for (auto [name, text, target] : {std::tuple{"ports", &ports, &o.ports},
                                    std::tuple{"reuseport", &reuseport, &o.reuseport}}) {
    if (!sp->seen.contains(name)) continue;
    auto set = ports::parse(*text);
    if (!set) return usage(set.error().what(), set.error().why());
    *target = *set;
  }
  if (sp->seen.contains("preload") && o.preload.empty()) return usage("-l/--preload", "empty path");
  if (o.user.empty())
    return usage("-u/--user", sp->seen.contains("user") ? "empty user name"
                                                        : "required: the user the command runs as");
  if (sp->command.empty()) return usage("command", "missing: what should privbind run?");
  o.command = std::move(sp->command);
  return parsed;
}

std::string versionText() { return std::string("privbind ") + PRIVBIND_VERSION + "\n"; }

std::string helpText() {
  return R"(Usage: privbind [OPTIONS] [--] COMMAND [ARG...]
       privbind doctor [--json] [--fix [--dry-run]] [TARGET]

Run COMMAND as an unprivileged user and still let it bind TCP/UDP ports below
net.ipv4.ip_unprivileged_port_start (normally 1024). Run privbind as root.
COMMAND replaces privbind (same pid; in cgroup mode as process 1 of a pid
namespace privbind stays as its init instead); its exit status is privbind's.

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
  -u, --user USER       run as USER (name or uid); required, never root
  -g, --group GROUP     run with GROUP (name or gid) as primary group
                        (default: USER's primary group; required for a uid
                        that has no passwd entry)
  -G, --no-groups       no supplementary groups (default: all of USER's)
  -m, --mode MODE       auto, cgroup, broker or caps (default: auto)
      --allow-setuid    do not set no_new_privs, so COMMAND may run setuid
                        programs (they still get no capability beyond the
                        bounding set privbind leaves)
      --keep-env        keep HOME, USER and LOGNAME as they are (by default
                        they describe USER; the rest of the environment is
                        always kept)
  -v, --verbose         say what privbind does, on stderr
  -h, --help            show this help and exit
  -V, --version         show the version and exit

Cgroup and broker mode:
  -n, --binds NUM       at most NUM successful privileged binds; later ones
                        fail with EACCES
  -p, --ports LIST      grant only these reserved ports, e.g. 80,443,8000-8010;
                        others fail with EACCES
  -r, --reuseport LIST  set SO_REUSEPORT before binding these ports

Broker mode only:
  -l, --preload PATH    use this preload library instead of the installed one
      --no-target-check run COMMAND even when the preload library cannot reach
                        it (static binary, Go program, setuid binary)

Options end at the first word that is not an option, or at "--":
  privbind -u app java -jar app.jar -u foo     passes "-u foo" to java.

Examples:
  privbind -u www-data -- python3 -m http.server 80
  privbind -u app -p 80,443 -n 2 -- java -jar server.jar
  privbind -m cgroup -u app -p 443 -- ./server-written-in-go --listen :443
  privbind -m caps -u app -- ./server-written-in-go --listen :443
  privbind doctor java          why won't java start or bind?
  privbind doctor --fix /opt/jdk/bin/java
                                make a setcap'd java find libjli.so again

Exit status:
  125 privbind failed or refused (message: "privbind: <what>: <why>")
  126 COMMAND was found but could not be run
  127 COMMAND was not found
  otherwise the exit status of COMMAND
  doctor: 0 no problem found, 1 problems found, 125 could not inspect
  (privbind doctor --help explains its options)

See privbind(8), and docs/ for cgroup, caps and broker mode and the Java RPATH trap.
)";
}

}  // namespace privbind::cli
