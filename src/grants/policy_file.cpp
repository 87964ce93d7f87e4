#include "grants/policy_file.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tuple>

#include "common/ids.h"
#include "common/ports.h"
#include "common/text.h"

namespace privbind::grants {

namespace {

constexpr const char* kHeader =
    "# privbind standing grants: privbind(8), section STANDING GRANTS.\n"
    "# Written by `privbind grant` and `privbind revoke`; may be edited by hand or by a\n"
    "# configuration-management tool, then `privbind grants apply` makes the kernel enforce it\n"
    "# (as it does at boot). One grant per line:\n"
    "#   user  NAME UID tcp|udp PORTS [any-netns]\n"
    "#   group NAME GID tcp|udp PORTS [any-netns]\n"
    "# PORTS as for -p: 80,443,8000-8010. The kernel enforces the numeric UID/GID; `privbind\n"
    "# grants` reports a NAME that no longer maps to it. A group grant counts the primary group\n"
    "# only. any-netns: in every network namespace, not only the initial one. uid 0 and gid 0\n"
    "# are refused.\n";

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Status checkOwner(int fd, const std::string& path) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Error::fromErrno("fstat(" + path + ")", errno);
  if (st.st_uid != 0) return Error::refuse(path, "is not owned by root; refusing to trust it");
  if (st.st_mode & 022)
    return Error::refuse(path, "is writable by group or others; refusing to trust it");
  return {};
}

}  // namespace

const char* protocolName(uint8_t protocol) { return protocol == IPPROTO_UDP ? "udp" : "tcp"; }

Result<Policy> parsePolicy(std::string_view text, const std::string& path) {
  Policy policy;
  size_t number = 0;
  for (auto raw : text::splitLines(text)) {
    ++number;
    auto where = [&] { return path + ":" + std::to_string(number); };
    std::string_view line = raw.substr(0, raw.find('#'));
    auto w = words(line);
    if (w.empty()) continue;
    if (w.size() < 5 || w.size() > 6)
      return Error::refuse(where(), "expected 'user|group NAME ID tcp|udp PORTS [any-netns]'");
    if (w[0] != "user" && w[0] != "group")
      return Error::refuse(where(), "'" + std::string(w[0]) + "' is not user or group");
    bool group = w[0] == "group";
    auto id = ids::parseId(w[2]);
    if (!id) return Error::refuse(where(), "'" + std::string(w[2]) + "' is not a numeric id");
    if (*id == 0)
      return Error::refuse(
          where(), group ? "gid 0 is root's group: never granted" : "uid 0 is root: never granted");
    uint8_t protocol = 0;
    if (w[3] == "tcp")
      protocol = IPPROTO_TCP;
    else if (w[3] == "udp")
      protocol = IPPROTO_UDP;
    else
      return Error::refuse(where(), "'" + std::string(w[3]) + "' is not tcp or udp");
    auto set = ports::parse(w[4]);
    if (!set) return Error::refuse(where(), set.error().why() + " in '" + std::string(w[4]) + "'");
    bool any = false;
    if (w.size() == 6) {
      if (w[5] != "any-netns")
        return Error::refuse(where(), "'" + std::string(w[5]) + "' is not any-netns");
      any = true;
    }
    for (unsigned p = 1; p <= 65535; ++p) {
      if (!set->contains(static_cast<uint16_t>(p))) continue;
      Grant& g = policy[{group, *id, static_cast<uint16_t>(p), protocol}];
      g.name = std::string(w[1]);
      g.anyNetns = g.anyNetns || any;  // a port listed twice: the wider scope
    }
  }
  return policy;
}

std::string formatPolicy(const Policy& policy) {
  // (group, id, name, protocol, any) -> ports, in a stable order.
  std::map<std::tuple<bool, uint32_t, std::string, uint8_t, bool>, ports::PortSet> lines;
  for (const auto& [k, g] : policy)
    lines[{k.group, k.id, g.name, k.protocol, g.anyNetns}].add(k.port);
  std::string out = kHeader;
  for (const auto& [key, set] : lines) {
    const auto& [group, id, name, protocol, any] = key;
    out += std::string(group ? "group " : "user ") + name + " " + std::to_string(id) + " " +
           protocolName(protocol) + " " + set.toString() + (any ? " any-netns" : "") + "\n";
  }
  return out;
}

bpf::GrantTable tableOf(const Policy& policy) {
  bpf::GrantTable table;
  for (const auto& [k, g] : policy) table[k] = g.anyNetns;
  return table;
}

Result<Policy> readPolicy() {
  UniqueFd fd(retryEintr([] { return open(kPolicyPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); }));
  if (!fd) {
    if (errno == ENOENT) return Policy{};
    return Error::fromErrno(std::string("open(") + kPolicyPath + ")", errno);
  }
  if (auto s = checkOwner(fd.get(), kPolicyPath); !s) return s.error();
  UniqueFd dir(open(kPolicyDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Error::fromErrno(std::string("open(") + kPolicyDir + ")", errno);
  if (auto s = checkOwner(dir.get(), kPolicyDir); !s) return s.error();
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = retryEintr([&] { return read(fd.get(), buf, sizeof buf); });
    if (n < 0) return Error::fromErrno(std::string("read(") + kPolicyPath + ")", errno);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (8u << 20)) return Error::refuse(kPolicyPath, "larger than 8 MiB");
  }
  return parsePolicy(text);
}

Status writePolicy(const Policy& policy) {
  if (mkdir(kPolicyDir, 0755) != 0 && errno != EEXIST)
    return Error::fromErrno(std::string("mkdir(") + kPolicyDir + ", 0755)", errno);
  UniqueFd dir(open(kPolicyDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return Error::fromErrno(std::string("open(") + kPolicyDir + ")", errno);
  if (auto s = checkOwner(dir.get(), kPolicyDir); !s) return s.error();
  std::string tmpl = std::string(kPolicyDir) + "/.grants.conf.XXXXXX";
  UniqueFd fd(mkostemp(tmpl.data(), O_CLOEXEC));
  if (!fd) return Error::fromErrno("mkostemp(" + tmpl + ")", errno);
  auto fail = [&](const std::string& what, int err) {
    unlink(tmpl.c_str());
    return Error::fromErrno(what, err);
  };
  std::string text = formatPolicy(policy);
  for (size_t done = 0; done < text.size();) {
    ssize_t n = retryEintr([&] { return write(fd.get(), text.data() + done, text.size() - done); });
    if (n < 0) return fail("write(" + tmpl + ")", errno);
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd.get(), 0644) != 0) return fail("fchmod(" + tmpl + ", 0644)", errno);
  // The data reaches the disk before the name does: a crash leaves the old file or the new one.
  if (fsync(fd.get()) != 0) return fail("fsync(" + tmpl + ")", errno);
  if (rename(tmpl.c_str(), kPolicyPath) != 0)
    return fail("rename(" + tmpl + ", " + kPolicyPath + ")", errno);
  if (fsync(dir.get()) != 0)
    return Error::fromErrno(std::string("fsync(") + kPolicyDir + ")", errno);
  return {};
}

Result<UniqueFd> lockPolicy(bool exclusive) {
  if (mkdir(kLockDir, 0755) != 0 && errno != EEXIST)
    return Error::fromErrno(std::string("mkdir(") + kLockDir + ", 0755)", errno);
  UniqueFd fd(
      retryEintr([] { return open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); }));
  if (!fd) return Error::fromErrno(std::string("open(") + kLockPath + ")", errno);
  if (retryEintr([&] { return flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH); }) != 0)
    return Error::fromErrno(std::string("flock(") + kLockPath + ")", errno);
  return fd;
}

}  // namespace privbind::grants
