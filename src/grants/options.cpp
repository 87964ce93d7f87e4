#include "grants/options.h"

#include <span>

#include "cli/argtable.h"

namespace privbind::grants {

namespace {

using Row = argtable::Option<Options>;

// The commands a row belongs to (Row::mask).
constexpr unsigned kGrant = 1;
constexpr unsigned kRevoke = 2;
constexpr unsigned kList = 4;  // privbind grants [apply|off]

constexpr Row kTable[] = {
    {'u', "user", "USER", kGrant | kRevoke,
     "the user (name or uid, with a passwd entry; never root)",
     [](Options& o, const std::string& v) -> Status {
       o.user = v;
       return {};
     }},
    {'g', "group", "GROUP", kGrant | kRevoke,
     "the group (name or gid; never gid 0): counts for\n"
     "processes whose PRIMARY group it is, supplementary\n"
     "groups are invisible to the kernel program",
     [](Options& o, const std::string& v) -> Status {
       o.group = v;
       return {};
     }},
    {'p', "ports", "LIST", kGrant | kRevoke,
     "reserved ports, e.g. 80,443,8000-8010 (revoke: all\n"
     "of them when not given)",
     [](Options& o, const std::string& v) -> Status {
       auto set = ports::parse(v);
       if (!set) return Error::refuse("", set.error().why() + " in '" + v + "'");
       o.ports = *set;
       return {};
     }},
    {0, "tcp", nullptr, kGrant | kRevoke, "TCP only (default: TCP and UDP)",
     [](Options& o, const std::string&) -> Status {
       o.tcp = true;
       return {};
     }},
    {0, "udp", nullptr, kGrant | kRevoke, "UDP only (default: TCP and UDP)",
     [](Options& o, const std::string&) -> Status {
       o.udp = true;
       return {};
     }},
    {0, "any-netns", nullptr, kGrant,
     "in every network namespace (default: only in the\n"
     "initial one, where rootless podman's port\n"
     "forwarder binds)",
     [](Options& o, const std::string&) -> Status {
       o.anyNetns = true;
       return {};
     }},
    {0, "json", nullptr, kList, "machine-readable report on stdout (format 1)",
     [](Options& o, const std::string&) -> Status {
       o.json = true;
       return {};
     }},
    {'h', "help", nullptr, kGrant | kRevoke | kList, "show this help and exit",
     [](Options& o, const std::string&) -> Status {
       o.help = true;
       return {};
     }},
};

constexpr std::span<const Row> kRows = kTable;

unsigned maskOf(const std::string& word) {
  if (word == "grant") return kGrant;
  if (word == "revoke") return kRevoke;
  if (word == "grants") return kList;
  return 0;
}

// The rows of one command, with one mask, for argtable::render.
std::vector<Row> rowsOf(unsigned mask) {
  std::vector<Row> out;
  for (Row r : kRows)
    if (r.mask & mask) {
      r.mask = 0;
      out.push_back(r);
    }
  return out;
}

Error usage(const std::string& what, std::string why) { return Error::usage(what, std::move(why)); }

}  // namespace

bool isCommand(const std::string& word) { return maskOf(word) != 0; }

std::string helpCommand(Verb verb) {
  switch (verb) {
    case Verb::kGrant:
      return "privbind grant";
    case Verb::kRevoke:
      return "privbind revoke";
    case Verb::kStatus:
    case Verb::kApply:
    case Verb::kOff:
      break;
  }
  return "privbind grants";
}

Result<Options> parseOptions(const std::string& word, const std::vector<std::string>& args) {
  Options o;
  unsigned mask = maskOf(word);
  o.verb = word == "grant" ? Verb::kGrant : word == "revoke" ? Verb::kRevoke : Verb::kStatus;
  auto split = argtable::split(kRows, args, argtable::Operands::kInterleaved);
  if (!split) return split.error();
  for (const auto& g : split->given)
    if (!(kRows[g.row].mask & mask))
      return usage(argtable::display(kRows[g.row]), "not an option of privbind " + word);
  if (auto s = argtable::apply(kRows, *split, o); !s) return s.error();
  if (o.help) return o;

  if (o.verb == Verb::kStatus) {
    if (split->operands.size() > 1)
      return usage("'" + split->operands[1] + "'", "unexpected argument");
    if (!split->operands.empty()) {
      const std::string& sub = split->operands[0];
      if (sub == "apply")
        o.verb = Verb::kApply;
      else if (sub == "off")
        o.verb = Verb::kOff;
      else
        return usage("'" + sub + "'", "not a subcommand of privbind grants; expected apply or off");
      if (o.json) return usage("--json", "only with privbind grants alone, not with " + sub);
    }
    return o;
  }
  if (!split->operands.empty()) return usage("'" + split->operands[0] + "'", "unexpected argument");
  if (!o.user.empty() && !o.group.empty())
    return usage("-u/--user and -g/--group", "one or the other, not both");
  if (o.user.empty() && o.group.empty())
    return usage("-u/--user or -g/--group", "required: whom to " + word);
  if (o.verb == Verb::kGrant && !o.ports)
    return usage("-p/--ports", "required: which reserved ports to grant");
  return o;
}

std::string helpText(Verb verb) {
  switch (verb) {
    case Verb::kGrant:
      return R"(Usage: privbind grant -u USER|-g GROUP -p PORTS [--tcp|--udp] [--any-netns]

A standing grant: USER (or every process whose primary group is GROUP) may bind
the reserved PORTS, with any program, started any way, without privbind and
without any capability. Saved in /etc/privbind/grants.conf and in force at once
(BPF programs at the root of the cgroup v2 hierarchy, pinned in bpffs; privbind
grants apply restores them at boot). Run as root.

Options:
)" + argtable::render(std::span<const Row>(rowsOf(kGrant)), 0) +
             R"(
The grant follows the numeric uid or gid, in the initial user namespace. Only
the primary group counts for -g. Granting a port again replaces its scope.

Examples:
  privbind grant -u alice -p 80,443 --tcp
  privbind grant -g web -p 8000-8010
  privbind grant -u ci -p 53 --udp --any-netns

Exit status: 0 granted, 125 refused or failed ("privbind: <what>: <why>").
See privbind(8), STANDING GRANTS.
)";
    case Verb::kRevoke:
      return R"(Usage: privbind revoke -u USER|-g GROUP [-p PORTS] [--tcp|--udp]

Removes standing grants from /etc/privbind/grants.conf and from the kernel at
once: without -p, every port of USER or GROUP. Sockets already bound stay bound;
new binds of those ports fail with EACCES. Run as root.

Options:
)" + argtable::render(std::span<const Row>(rowsOf(kRevoke)), 0) +
             R"(
Exit status: 0 revoked, or nothing to revoke (said on stderr), 125 refused or
failed. See privbind(8), STANDING GRANTS.
)";
    case Verb::kStatus:
    case Verb::kApply:
    case Verb::kOff:
      break;
  }
  return R"(Usage: privbind grants [--json]
       privbind grants apply
       privbind grants off

privbind grants         shows the standing grants of /etc/privbind/grants.conf,
                        what the kernel enforces (the pinned map and links under
                        /sys/fs/bpf/privbind), and any drift between the two.
privbind grants apply   makes the kernel enforce the file: mounts bpffs if
                        needed, attaches, repairs a half-attached or tampered
                        state, swaps the programs of an older privbind in place.
                        Idempotent; run at boot.
privbind grants off     detaches everything; the file stays.
Run as root.

Options:
)" + argtable::render(std::span<const Row>(rowsOf(kList)), 0) +
         R"(
Exit status: privbind grants: 0 the kernel enforces exactly the file, 1 drift
(listed), 125 could not inspect. apply and off: 0 done, 125 failed.
See privbind(8), STANDING GRANTS.
)";
}

std::vector<OptionInfo> optionTable(const std::string& word) {
  std::vector<OptionInfo> out;
  for (const auto& r : kRows)
    if (r.mask & maskOf(word)) out.push_back({r.shortName, r.longName, r.valueName != nullptr});
  return out;
}

}  // namespace privbind::grants
