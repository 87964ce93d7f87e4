// Users and groups: names or numbers to ids, and the supplementary group list.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace privbind::ids {

struct User {
  uid_t uid = 0;
  gid_t gid = 0;     // primary group from passwd
  std::string name;  // empty when the uid has no passwd entry
  std::string home;  // empty when the uid has no passwd entry
  bool hasPasswd = false;
};

// The credentials the command will run with.
struct Target {
  User user;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, exactly as they will be set
};

// Parses a decimal id; refuses signs, spaces, overflow and (uid_t)-1, which means "unchanged"
// to setresuid(2).
std::optional<unsigned> parseId(std::string_view text);

Result<User> resolveUser(const std::string& spec);
Result<gid_t> resolveGroup(const std::string& spec);
// All groups of the user (getgrouplist(3), no fixed limit), the primary gid included.
Result<std::vector<gid_t>> groupsOf(const User& user, gid_t primary);

// -u, -g and -G together; refuses uid 0 and a numeric uid without passwd entry and without -g.
Result<Target> resolveTarget(const std::string& user, const std::string& group, bool noGroups);

}  // namespace privbind::ids
