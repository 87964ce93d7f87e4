#include "grants/grants.h"

#include <grp.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bpf/grants_programs.h"
#include "common/files.h"
#include "common/ids.h"
#include "common/invoker.h"
#include "grants/options.h"
#include "grants/policy_file.h"
#include "grants/status.h"
#include "modes/cgroup/hierarchy.h"

namespace privbind::grants {

namespace {

struct Principal {
  bool group = false;
  uint32_t id = 0;
  std::string name;
};

std::string describePrincipal(const Principal& p) {
  return std::string(p.group ? "group " : "user ") + p.name + " (" + (p.group ? "gid " : "uid ") +
         std::to_string(p.id) + ")";
}

// The uids and gids privbind reads are the ones the program sees (bpf_get_current_uid_gid()
// reports the initial user namespace's), and the grant's scope is the initial network
// namespace, whose cookie privbind reads from a socket of its own: so privbind must run in both.
Status requireInitialNamespaces() {
  auto uidMap = files::readFile("/proc/self/uid_map");
  if (!uidMap) return uidMap.error();
  if (!cgroupmode::isIdentityUidMap(*uidMap))
    return Error::refuse("user namespace",
                         "privbind runs in a user namespace that maps uids; the kernel program "
                         "would see other uids than the policy names");
  struct stat self {
  }, init{};
  if (stat("/proc/self/ns/net", &self) != 0)
    return Error::fromErrno("stat(/proc/self/ns/net)", errno);
  // Linux 6.x numbers the initial namespaces with fixed inodes (PROC_NET_INIT_INO); namespaces
  // made later get numbers from 0xf0000000 up, so this one is never another's.
  constexpr ino_t kInitNetIno = 0xeffffff9;
  if (self.st_ino == kInitNetIno) return {};
  if (stat("/proc/1/ns/net", &init) != 0)
    return Error::refuse(
        "network namespace",
        "privbind's is not the initial one by its number, and stat(/proc/1/ns/net) "
        "to compare says: " +
            std::string(strerror(errno)));
  if (self.st_ino != init.st_ino || self.st_dev != init.st_dev)
    return Error::refuse("network namespace",
                         "privbind does not run in the initial network namespace (pid 1's); "
                         "standing grants are scoped to that one, so run privbind there");
  return {};
}

Result<Principal> resolveForGrant(const Options& o) {
  Principal p;
  if (!o.user.empty()) {
    auto u = ids::resolveUser(o.user);
    if (!u) return u.error();
    if (!u->hasPasswd) return Error::refuse("user '" + o.user + "'", "no such user");
    if (u->uid == 0)
      return Error::refuse("user '" + o.user + "'",
                           "uid 0 is root, which needs no grant; privbind never grants it");
    p.id = u->uid;
    p.name = u->name;
    return p;
  }
  p.group = true;
  auto gid = ids::resolveGroup(o.group);
  if (!gid) return gid.error();
  struct group* g = getgrgid(*gid);
  if (!g) return Error::refuse("group '" + o.group + "'", "no such group");
  if (*gid == 0)
    return Error::refuse("group '" + o.group + "'",
                         "gid 0 is root's group; privbind never grants it");
  p.id = *gid;
  p.name = g->gr_name;
  return p;
}

// revoke: the principal as the file knows it (by name or by id), so that a user deleted since
// can still be revoked; otherwise as the system knows it.
Result<Principal> resolveForRevoke(const Options& o, const Policy& policy) {
  bool group = o.user.empty();
  const std::string& spec = group ? o.group : o.user;
  auto id = ids::parseId(spec);
  for (const auto& [k, g] : policy)
    if (k.group == group && (g.name == spec || (id && *id == k.id)))
      return Principal{group, k.id, g.name};
  auto p = resolveForGrant(o);
  if (!p)
    return Error::refuse(std::string(group ? "group '" : "user '") + spec + "'",
                         "not in " + std::string(kPolicyPath) + " and " + p.error().why());
  return p;
}

std::vector<uint8_t> protocolsOf(const Options& o) {
  if (o.tcp == o.udp) return {IPPROTO_TCP, IPPROTO_UDP};
  return {o.tcp ? static_cast<uint8_t>(IPPROTO_TCP) : static_cast<uint8_t>(IPPROTO_UDP)};
}

Status checkReserved(const ports::PortSet& set) {
  auto start = files::readUnprivilegedPortStart();
  if (!start) return start.error();
  ports::PortSet unreserved;
  for (unsigned p = std::max(1u, *start); p <= 65535; ++p)
    if (set.contains(static_cast<uint16_t>(p))) unreserved.add(static_cast<uint16_t>(p));
  if (unreserved.empty()) return {};
  return Error::usage("-p/--ports", unreserved.toString() +
                                        (unreserved.size() == 1 ? " is" : " are") +
                                        " not reserved (net.ipv4.ip_unprivileged_port_start is " +
                                        std::to_string(*start) +
                                        "): any user may bind them, privbind has nothing to grant");
}

// Makes the kernel enforce policy; what was repaired is said on stderr. An empty policy is
// enforced by attaching nothing: a host without standing grants runs no program of theirs, and
// pays nothing for its binds.
Status enforce(const Policy& policy, const char* verb) {
  if (policy.empty()) {
    auto removed = bpf::removeGrants();
    if (!removed) return removed.error();
    if (*removed)
      std::fprintf(stderr, "privbind: %s: no standing grant is left; the programs are detached\n",
                   verb);
    return {};
  }
  auto cookie = bpf::ownNetnsCookie();
  if (!cookie) return cookie.error();
  auto notes = bpf::enforceGrants(tableOf(policy), *cookie);
  if (!notes) return notes.error();
  for (const auto& n : *notes) std::fprintf(stderr, "privbind: %s: %s\n", verb, n.c_str());
  return {};
}

Result<int> grant(const Options& o) {
  if (auto s = checkReserved(*o.ports); !s) return s.error();
  auto lock = lockPolicy(true);
  if (!lock) return lock.error();
  auto policy = readPolicy();
  if (!policy) return policy.error();
  auto who = resolveForGrant(o);
  if (!who) return who.error();
  Policy added;
  for (uint8_t protocol : protocolsOf(o))
    for (unsigned port = 1; port <= 65535; ++port)
      if (o.ports->contains(static_cast<uint16_t>(port))) {
        bpf::GrantKey key{who->group, who->id, static_cast<uint16_t>(port), protocol};
        (*policy)[key] = {who->name, o.anyNetns};
        added[key] = {who->name, o.anyNetns};
      }
  // The file first: a crash after it leaves drift that `privbind grants` shows and `apply`
  // repairs, never a grant in force that the file does not have.
  if (auto s = writePolicy(*policy); !s) return s.error();
  if (auto s = enforce(*policy, "grant"); !s) return s.error();
  for (const auto& line : describe(added)) std::printf("granted: %s\n", line.c_str());
  return 0;
}

Result<int> revoke(const Options& o) {
  auto lock = lockPolicy(true);
  if (!lock) return lock.error();
  auto policy = readPolicy();
  if (!policy) return policy.error();
  auto who = resolveForRevoke(o, *policy);
  Policy removed;
  if (who) {
    auto protocols = protocolsOf(o);
    for (auto it = policy->begin(); it != policy->end();) {
      const auto& k = it->first;
      bool match = k.group == who->group && k.id == who->id &&
                   std::find(protocols.begin(), protocols.end(), k.protocol) != protocols.end() &&
                   (!o.ports || o.ports->contains(k.port));
      if (match) {
        removed.insert(*it);
        it = policy->erase(it);
      } else {
        ++it;
      }
    }
  }
  if (removed.empty()) {
    // Idempotent, as scripts expect: the state asked for is the state there is.
    std::string whom =
        who ? describePrincipal(*who) : (o.user.empty() ? "group " + o.group : "user " + o.user);
    std::fprintf(stderr, "privbind: revoke: %s has no such standing grant; nothing to revoke\n",
                 whom.c_str());
    return 0;
  }
  if (auto s = writePolicy(*policy); !s) return s.error();
  // After `privbind grants off`, a revoke changes the file alone: taking a grant away must not
  // put the others back in force (`privbind grants apply` does that).
  auto kernel = bpf::inspectGrants();
  if (!kernel) return kernel.error();
  if (kernel->anyPinned) {
    if (auto s = enforce(*policy, "revoke"); !s) return s.error();
  } else if (!policy->empty()) {
    std::fputs(
        "privbind: revoke: standing grants are off (privbind grants off): the file is changed, "
        "nothing is attached; 'privbind grants apply' puts the file in force\n",
        stderr);
  }
  for (const auto& line : describe(removed)) std::printf("revoked: %s\n", line.c_str());
  return 0;
}

Result<int> apply() {
  auto lock = lockPolicy(true);
  if (!lock) return lock.error();
  auto policy = readPolicy();
  if (!policy) return policy.error();
  if (auto s = enforce(*policy, "grants apply"); !s) return s.error();
  return 0;
}

Result<int> off() {
  auto lock = lockPolicy(true);
  if (!lock) return lock.error();
  auto removed = bpf::removeGrants();
  if (!removed) return removed.error();
  if (!*removed) std::fputs("privbind: grants off: nothing was attached\n", stderr);
  return 0;
}

Result<int> status(const Options& o) {
  auto lock = lockPolicy(false);
  if (!lock) return lock.error();
  auto report = inspect();
  if (!report) return report.error();
  std::fputs((o.json ? renderJson(*report) : renderText(*report)).c_str(), stdout);
  return report->drift.empty() ? 0 : 1;
}

}  // namespace

Result<int> run(const std::string& word, const std::vector<std::string>& args,
                std::string* helpCommand) {
  *helpCommand = "privbind " + word;
  auto o = parseOptions(word, args);
  if (!o) return o.error();
  *helpCommand = grants::helpCommand(o->verb);
  if (o->help) {
    std::fputs(helpText(o->verb).c_str(), stdout);
    return 0;
  }
  if (auto s = invoker::requireRealRoot(); !s)
    return Error::refuse("not run by root", "standing grants are root's to read and change");
  if (o->verb != Verb::kStatus && o->verb != Verb::kOff)
    if (auto s = requireInitialNamespaces(); !s) return s.error();
  switch (o->verb) {
    case Verb::kGrant:
      return grant(*o);
    case Verb::kRevoke:
      return revoke(*o);
    case Verb::kApply:
      return apply();
    case Verb::kOff:
      return off();
    case Verb::kStatus:
      break;
  }
  return status(*o);
}

}  // namespace privbind::grants
