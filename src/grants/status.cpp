#include "grants/status.h"

#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <unistd.h>

#include <map>
#include <set>
#include <tuple>

#include "common/ports.h"
#include "common/text.h"

namespace privbind::grants {

namespace {

std::string principal(bool group, uint32_t id, const std::string& name) {
  std::string kind = group ? "group" : "user";
  std::string num = std::string(group ? "gid " : "uid ") + std::to_string(id);
  return name.empty() ? kind + " " + num : kind + " " + name + " (" + num + ")";
}

// A name that no longer maps to the stored id, in words; "" when it does.
std::string nameDrift(bool group, uint32_t id, const std::string& name) {
  if (group) {
    struct group* g = getgrnam(name.c_str());
    if (!g)
      return "group " + name + " no longer exists; the grant stays with gid " + std::to_string(id);
    if (g->gr_gid != id)
      return "group " + name + " is now gid " + std::to_string(g->gr_gid) +
             "; the grant is enforced for gid " + std::to_string(id);
    return "";
  }
  struct passwd* p = getpwnam(name.c_str());
  if (!p)
    return "user " + name + " no longer exists; the grant stays with uid " + std::to_string(id);
  if (p->pw_uid != id)
    return "user " + name + " is now uid " + std::to_string(p->pw_uid) +
           "; the grant is enforced for uid " + std::to_string(id);
  return "";
}

// The name this host gives an id now; "" when none.
std::string systemName(bool group, uint32_t id) {
  if (group) {
    struct group* g = getgrgid(id);
    return g ? g->gr_name : "";
  }
  struct passwd* p = getpwuid(id);
  return p ? p->pw_name : "";
}

// The kernel's table as a policy, named after the file where it knows the id, else after the
// host's passwd and group entries.
Policy named(const bpf::GrantTable& table, const Policy& file) {
  std::map<std::pair<bool, uint32_t>, std::string> names;
  for (const auto& [k, g] : file) names[{k.group, k.id}] = g.name;
  Policy out;
  for (const auto& [k, any] : table) {
    auto it = names.find({k.group, k.id});
    std::string name = it == names.end() ? systemName(k.group, k.id) : it->second;
    out[k] = {name, any};
  }
  return out;
}

std::string jsonGrants(const Policy& policy) {
  std::map<std::tuple<bool, uint32_t, std::string, uint8_t, bool>, ports::PortSet> lines;
  for (const auto& [k, g] : policy)
    lines[{k.group, k.id, g.name, k.protocol, g.anyNetns}].add(k.port);
  std::vector<std::string> items;
  // NOLINTBEGIN(modernize-raw-string-literal): JSON assembled from short quoted pieces.
  for (const auto& [key, set] : lines) {
    const auto& [group, id, name, protocol, any] = key;
    items.push_back(std::string("{\"kind\": \"") + (group ? "group" : "user") +
                    "\", \"name\": " + text::jsonQuote(name) + ", \"id\": " + std::to_string(id) +
                    ", \"protocol\": \"" + protocolName(protocol) + "\", \"ports\": \"" +
                    set.toString() + "\", \"anyNetns\": " + (any ? "true" : "false") + "}");
  }
  // NOLINTEND(modernize-raw-string-literal)
  return "[" + text::join(items, ", ") + "]";
}

const char* mapStateName(bpf::MapState s) {
  switch (s) {
    case bpf::MapState::kMissing:
      return "missing";
    case bpf::MapState::kCurrent:
      return "pinned";
    case bpf::MapState::kForeign:
      return "foreign";
  }
  return "?";
}

}  // namespace

std::vector<std::string> describe(const Policy& policy) {
  std::map<std::tuple<bool, uint32_t, std::string, uint8_t, bool>, ports::PortSet> lines;
  for (const auto& [k, g] : policy)
    lines[{k.group, k.id, g.name, k.protocol, g.anyNetns}].add(k.port);
  std::vector<std::string> out;
  for (const auto& [key, set] : lines) {
    const auto& [group, id, name, protocol, any] = key;
    out.push_back(principal(group, id, name) + " " + protocolName(protocol) + " " + set.toString() +
                  (any ? " any-netns" : ""));
  }
  return out;
}

Result<Report> inspect() {
  Report r;
  // The pins are root's only (bpffs mounted 0700, the directory 0700): anyone else would see
  // "nothing attached" and call it drift.
  if (geteuid() != 0)
    return Error::refuse("standing grants", "reading " + std::string(bpf::kPinDir) + " needs root");
  auto file = readPolicy();
  if (!file) return file.error();
  r.file = std::move(*file);
  auto kernel = bpf::inspectGrants();
  if (!kernel) return kernel.error();
  r.kernel = std::move(*kernel);
  auto root = bpf::openRootCgroup();
  if (root) r.cgroupRoot = root->path;
  const auto& k = r.kernel;

  // Names first: they concern the file alone.
  std::set<std::pair<bool, uint32_t>> seen;
  for (const auto& [key, g] : r.file)
    if (seen.insert({key.group, key.id}).second)
      if (auto d = nameDrift(key.group, key.id, g.name); !d.empty()) r.drift.push_back(d);

  bool kernelHasAny = !k.entries.empty();
  if (r.file.empty() && !kernelHasAny) return r;  // nothing granted, nothing enforced
  if (!k.bpffsMounted) {
    r.drift.push_back(std::string("bpffs is not mounted at ") + bpf::kBpffs +
                      ": no standing grant is in force (privbind grants apply)");
    return r;
  }
  if (!r.file.empty()) {
    for (auto [state, detail, name] :
         {std::tuple{k.bind4, &k.bind4Detail, "IPv4 (cgroup/bind4)"},
          std::tuple{k.bind6, &k.bind6Detail, "IPv6 (cgroup/bind6)"}}) {
      if (state == bpf::LinkState::kCurrent) continue;
      std::string d = std::string(name) + " link " + bpf::linkStateName(state);
      if (!detail->empty()) d += ": " + *detail;
      r.drift.push_back(d + ": its binds are not granted as the file says (privbind grants apply)");
    }
    for (auto [state, detail, pin] :
         {std::tuple{k.map, &k.mapDetail, bpf::grantsMapPin()},
          std::tuple{k.config, &k.configDetail, bpf::grantsConfigPin()}}) {
      if (state == bpf::MapState::kCurrent) continue;
      r.drift.push_back(pin + " " + mapStateName(state) + (detail->empty() ? "" : ": " + *detail));
    }
  }
  if (k.map == bpf::MapState::kCurrent) {
    Policy missing, extra;
    auto want = tableOf(r.file);
    for (const auto& [key, g] : r.file) {
      auto it = k.entries.find(key);
      if (it == k.entries.end() || it->second != g.anyNetns) missing[key] = g;
    }
    for (const auto& [key, any] : k.entries) {
      auto it = want.find(key);
      if (it == want.end() || it->second != any) extra[key] = {"", any};
    }
    for (const auto& line : describe(missing))
      r.drift.push_back(line + ": in the file, not in the kernel");
    for (const auto& line : describe(named(tableOf(extra), r.file)))
      r.drift.push_back(line + ": in the kernel, not in the file");
  }
  if (k.config == bpf::MapState::kCurrent && !r.file.empty()) {
    auto cookie = bpf::ownNetnsCookie();
    if (cookie && *cookie != k.netnsCookie)
      r.drift.push_back(
          "the grants are scoped to a network namespace that is not this one "
          "(cookie " +
          std::to_string(k.netnsCookie) + ", here " + std::to_string(*cookie) + ")");
  }
  return r;
}

std::string renderText(const Report& r) {
  std::string out = std::string("Policy file ") + kPolicyPath + ":";
  auto lines = describe(r.file);
  if (lines.empty())
    out += " no standing grants\n";
  else
    out += "\n";
  for (const auto& l : lines) out += "  " + l + "\n";
  const auto& k = r.kernel;
  out += "Kernel: ";
  if (!k.bpffsMounted)
    out += std::string("bpffs not mounted at ") + bpf::kBpffs + ": nothing enforced\n";
  else if (!k.anyPinned)
    out += std::string("no standing grant pinned under ") + bpf::kPinDir + ": nothing enforced\n";
  else {
    out += k.enforcing() ? "enforcing" : "not fully enforcing";
    out += std::string(" (cgroup/bind4 link ") + bpf::linkStateName(k.bind4) +
           ", cgroup/bind6 link " + bpf::linkStateName(k.bind6) + " at the cgroup v2 root " +
           r.cgroupRoot + "; map " + mapStateName(k.map) + ")\n";
    auto enforced = describe(named(k.entries, r.file));
    for (const auto& l : enforced) out += "  " + l + "\n";
  }
  if (r.drift.empty()) {
    out += "Drift: none\n";
  } else {
    out += "Drift:\n";
    for (const auto& d : r.drift) out += "  " + d + "\n";
  }
  return out;
}

std::string renderJson(const Report& r) {
  const auto& k = r.kernel;
  std::vector<std::string> drift;
  drift.reserve(r.drift.size());
  for (const auto& d : r.drift) drift.push_back(text::jsonQuote(d));
  // NOLINTBEGIN(modernize-raw-string-literal): JSON assembled from short quoted pieces.
  return std::string("{\"format\": 1, \"file\": ") + text::jsonQuote(kPolicyPath) +
         ", \"grants\": " + jsonGrants(r.file) +
         ", \"kernel\": {\"bpffs\": " + (k.bpffsMounted ? "true" : "false") +
         ", \"enforcing\": " + (k.enforcing() ? "true" : "false") +
         ", \"cgroupRoot\": " + text::jsonQuote(r.cgroupRoot) + ", \"links\": {\"bind4\": \"" +
         bpf::linkStateName(k.bind4) + "\", \"bind6\": \"" + bpf::linkStateName(k.bind6) +
         "\"}, \"map\": \"" + mapStateName(k.map) + "\", \"config\": \"" + mapStateName(k.config) +
         "\", \"grants\": " + jsonGrants(named(k.entries, r.file)) + "}, \"drift\": [" +
         text::join(drift, ", ") + "]}\n";
  // NOLINTEND(modernize-raw-string-literal)
}

DoctorView doctorView() {
  DoctorView v;
  auto r = inspect();
  if (!r) {
    v.error = r.error().message();
    if (auto file = readPolicy()) v.grants = describe(*file);
    return v;
  }
  v.inspected = true;
  v.grants = describe(r->file);
  v.drift = r->drift;
  return v;
}

std::string enforcedFor(uid_t uid, gid_t gid) {
  if (geteuid() != 0) return "";
  auto k = bpf::inspectGrants();
  if (!k || !k->enforcing()) return "";
  std::map<uint8_t, ports::PortSet> by;
  for (const auto& [key, any] : k->entries)
    if ((!key.group && key.id == uid) || (key.group && key.id == gid))
      by[key.protocol].add(key.port);
  std::vector<std::string> parts;
  parts.reserve(by.size());
  for (const auto& [protocol, set] : by)
    parts.push_back(std::string(protocolName(protocol)) + " " + set.toString());
  return text::join(parts, "; ");
}

}  // namespace privbind::grants
