#include "common/ids.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

namespace privbind::ids {

std::optional<unsigned> parseId(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (value >= std::numeric_limits<uint32_t>::max()) return std::nullopt;  // (uid_t)-1
  return static_cast<unsigned>(value);
}

namespace {

// One getpwnam_r/getpwuid_r/getgrnam_r call with a buffer that grows on ERANGE up to 16 MiB (a
// group entry lists its members, so it can be large). lookup(entry, buf, size, &found) is the
// *_r call; take(entry) copies what is needed out of the entry before buf goes away.
template <class Entry, class Lookup, class Take>
auto lookupEntry(Lookup&& lookup, Take&& take, const std::string& what)
    -> Result<std::optional<decltype(take(std::declval<const Entry&>()))>> {
  using Value = decltype(take(std::declval<const Entry&>()));
  std::vector<char> buf(4096);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    int rc = lookup(&entry, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 24)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    // ENOENT, ESRCH, EBADF and EPERM all mean "no such entry" to getpwnam_r(3).
    if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF && rc != EPERM)
      return Error::fromErrno(what, rc);
    if (found == nullptr) return std::optional<Value>();
    return std::optional<Value>(take(entry));
  }
}

User takeUser(const passwd& pw) {
  return User{pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir ? pw.pw_dir : "", true};
}

gid_t takeGroup(const group& gr) { return gr.gr_gid; }

}  // namespace

Result<User> resolveUser(const std::string& spec) {
  const std::string what = "user '" + spec + "'";
  if (spec.empty()) return Error::refuse("user ''", "empty user name");
  auto byName =
      lookupEntry<passwd>([&](passwd* pw, char* b, size_t n,
                              passwd** r) { return getpwnam_r(spec.c_str(), pw, b, n, r); },
                          takeUser, what);
  if (!byName) return byName.error();
  if (*byName) return **byName;
  auto id = parseId(spec);
  if (!id) return Error::refuse(what, "no such user");
  uid_t uid = *id;
  auto byId = lookupEntry<passwd>(
      [&](passwd* pw, char* b, size_t n, passwd** r) { return getpwuid_r(uid, pw, b, n, r); },
      takeUser, what);
  if (!byId) return byId.error();
  if (*byId) return **byId;
  User anonymous;
  anonymous.uid = uid;
  anonymous.gid = static_cast<gid_t>(-1);
  return anonymous;
}

Result<gid_t> resolveGroup(const std::string& spec) {
  const std::string what = "group '" + spec + "'";
  if (spec.empty()) return Error::refuse("group ''", "empty group name");
  auto byName = lookupEntry<group>([&](group* gr, char* b, size_t n,
                                       group** r) { return getgrnam_r(spec.c_str(), gr, b, n, r); },
                                   takeGroup, what);
  if (!byName) return byName.error();
  if (*byName) return **byName;
  auto id = parseId(spec);
  if (!id) return Error::refuse(what, "no such group");
  return static_cast<gid_t>(*id);
}

Result<std::vector<gid_t>> groupsOf(const User& user, gid_t primary) {
  if (!user.hasPasswd) return std::vector<gid_t>{primary};
  // getgrouplist(3) tells how many groups there are when the buffer is too small.
  int count = 64;
  std::vector<gid_t> groups;
  for (int attempt = 0; attempt < 8; ++attempt) {
    groups.resize(static_cast<size_t>(count));
    int n = count;
    if (getgrouplist(user.name.c_str(), primary, groups.data(), &n) >= 0) {
      groups.resize(static_cast<size_t>(n));
      return groups;
    }
    if (n <= count) n = count * 2;
    count = n;
  }
  return Error::refuse("getgrouplist(" + user.name + ")", "group list keeps changing size");
}

Result<Target> resolveTarget(const std::string& userSpec, const std::string& groupSpec,
                             bool noGroups) {
  auto user = resolveUser(userSpec);
  if (!user) return user.error();
  if (user->uid == 0)
    return Error::refuse("user '" + userSpec + "'",
                         "resolves to uid 0; privbind exists so that the command need not be root");
  Target target;
  target.user = *user;
  if (!groupSpec.empty()) {
    auto gid = resolveGroup(groupSpec);
    if (!gid) return gid.error();
    target.gid = *gid;
  } else if (user->hasPasswd) {
    target.gid = user->gid;
  } else {
    return Error::refuse("user '" + userSpec + "'",
                         "uid " + std::to_string(user->uid) +
                             " has no passwd entry, so it has no primary group; name one with -g");
  }
  // gid 0 is refused like uid 0: group root owns files (/etc/shadow on some systems, sockets,
  // devices, logs) that uid 0 alone should reach, so a root primary group is a root grant.
  if (target.gid == 0) {
    if (!groupSpec.empty())
      return Error::refuse("group '" + groupSpec + "'",
                           "resolves to gid 0, root's group, which privbind refuses as it "
                           "refuses uid 0");
    return Error::refuse("user '" + userSpec + "'",
                         "its primary group is gid 0 (root); name another group with -g");
  }
  if (!noGroups) {
    auto groups = groupsOf(target.user, target.gid);
    if (!groups) return groups.error();
    target.groups = std::move(*groups);
    // The primary group of the passwd entry is in the list; with -g the chosen group replaces it
    // as gid, and the list keeps only what the user really belongs to.
    std::sort(target.groups.begin(), target.groups.end());
    target.groups.erase(std::unique(target.groups.begin(), target.groups.end()),
                        target.groups.end());
  }
  return target;
}

}  // namespace privbind::ids
