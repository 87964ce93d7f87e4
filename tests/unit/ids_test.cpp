// Users and groups by name and number, against this machine's own passwd and group files.
#include "common/ids.h"

#include <doctest/doctest.h>

using namespace privbind::ids;

TEST_CASE("numeric ids: strict decimal, no (uid_t)-1") {
  CHECK(parseId("0") == 0u);
  CHECK(parseId("65534") == 65534u);
  CHECK(parseId("4294967294") == 4294967294u);
  CHECK_FALSE(parseId("4294967295"));
  CHECK_FALSE(parseId("99999999999"));
  CHECK_FALSE(parseId("-1"));
  CHECK_FALSE(parseId("+1"));
  CHECK_FALSE(parseId(" 1"));
  CHECK_FALSE(parseId("1x"));
  CHECK_FALSE(parseId(""));
}

TEST_CASE("users by name and by number agree") {
  auto byName = resolveUser("nobody");
  REQUIRE(byName.ok());
  CHECK(byName->uid == 65534);
  CHECK(byName->hasPasswd);
  auto byNumber = resolveUser("65534");
  REQUIRE(byNumber.ok());
  CHECK(byNumber->name == "nobody");
  CHECK(byNumber->gid == byName->gid);
}

TEST_CASE("a uid without passwd entry resolves, but needs a group") {
  auto u = resolveUser("4000000000");
  REQUIRE(u.ok());
  CHECK_FALSE(u->hasPasswd);
  auto t = resolveTarget("4000000000", "", false);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().why().find("name one with -g") != std::string::npos);
  auto t2 = resolveTarget("4000000000", "4000000001", false);
  REQUIRE(t2.ok());
  CHECK(t2->gid == 4000000001u);
  CHECK(t2->groups == std::vector<gid_t>{4000000001u});
}

TEST_CASE("unknown users and groups, and root, are refused") {
  auto u = resolveUser("no-such-user-privbind");
  REQUIRE_FALSE(u.ok());
  CHECK(u.error().message() == "user 'no-such-user-privbind': no such user");
  auto g = resolveGroup("no-such-group-privbind");
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().message() == "group 'no-such-group-privbind': no such group");
  for (auto root : {"root", "0"}) {
    auto t = resolveTarget(root, "", false);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().why().find("uid 0") != std::string::npos);
  }
}

TEST_CASE("groups: by name, by number, and none with -G") {
  auto g = resolveGroup("nogroup");
  REQUIRE(g.ok());
  CHECK(*g == 65534);
  CHECK(*resolveGroup("65534") == 65534);
  auto all = resolveTarget("nobody", "", false);
  REQUIRE(all.ok());
  CHECK(all->gid == 65534);
  CHECK_FALSE(all->groups.empty());
  auto none = resolveTarget("nobody", "", true);
  REQUIRE(none.ok());
  CHECK(none->groups.empty());
  auto other = resolveTarget("nobody", "daemon", true);
  REQUIRE(other.ok());
  CHECK(other->gid == 1);
}

TEST_CASE("gid 0 as the primary group is refused like uid 0") {
  for (auto root : {"root", "0"}) {
    auto t = resolveTarget("nobody", root, false);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().message() == std::string("group '") + root +
                                     "': resolves to gid 0, root's group, which privbind refuses "
                                     "as it refuses uid 0");
  }
  // A uid without passwd entry and -g 0: the same refusal.
  CHECK_FALSE(resolveTarget("4000000000", "0", true).ok());
  // Negative control: any other group passes.
  CHECK(resolveTarget("nobody", "1", true).ok());
}
