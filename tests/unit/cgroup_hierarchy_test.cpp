// cgroup mode's pure parts: finding privbind's cgroup v2 directory from /proc/self/mountinfo and
// /proc/self/cgroup, the names of its cgroups, and the port bitmaps the BPF program reads.
#include <doctest/doctest.h>

#include "modes/cgroup/hierarchy.h"
#include "modes/cgroup/policy.h"

using namespace privbind;
using namespace privbind::cgroupmode;

namespace {

// A hybrid host: v1 controllers under /sys/fs/cgroup/*, v2 apart at /sys/fs/cgroup/unified.
const char* kHybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A unified host as systemd mounts it, with an optional field before the separator.
const char* kUnified =
    "25 30 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

}  // namespace

TEST_CASE("the v2 path is the 0:: line of /proc/self/cgroup") {
  auto p = parseV2Path("9:name=systemd:/\n4:memory:/x/y\n0::/\n");
  REQUIRE(p.ok());
  CHECK(*p == "/");
  auto q = parseV2Path("0::/system.slice/web.service\n");
  REQUIRE(q.ok());
  CHECK(*q == "/system.slice/web.service");
  CHECK_FALSE(parseV2Path("4:memory:/x\n1:cpu:/\n").ok());  // v1 only
  CHECK_FALSE(parseV2Path("").ok());
  CHECK_FALSE(parseV2Path("0::relative\n").ok());
  CHECK_FALSE(parseV2Path("0::/gone (deleted)\n").ok());
}

TEST_CASE("the cgroup2 mount is found wherever it is, never assumed") {
  auto m = findCgroup2Mount(kHybrid, "/");
  REQUIRE(m.ok());
  CHECK(m->mountPoint == "/sys/fs/cgroup/unified");
  CHECK(m->root == "/");
  CHECK_FALSE(m->readOnly);
  auto dir = cgroupDirectory(*m, "/");
  REQUIRE(dir.ok());
  CHECK(*dir == "/sys/fs/cgroup/unified");

  auto u = findCgroup2Mount(kUnified, "/system.slice/web.service");
  REQUIRE(u.ok());
  auto udir = cgroupDirectory(*u, "/system.slice/web.service");
  REQUIRE(udir.ok());
  CHECK(*udir == "/sys/fs/cgroup/system.slice/web.service");

  // No cgroup2 line at all (a v1-only host), and a v1 line that says "cgroup" is not v2.
  auto none =
      findCgroup2Mount("31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n", "/");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().why().find("not mounted") != std::string::npos);
}

TEST_CASE("a mount of a subtree, an escaped mount point, a read-only mount") {
  // A container sees only its part of the hierarchy, mounted at /sys/fs/cgroup.
  const char* sub = "50 40 0:37 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n";
  auto m = findCgroup2Mount(sub, "/docker/abc/inner");
  REQUIRE(m.ok());
  CHECK(m->readOnly);
  auto dir = cgroupDirectory(*m, "/docker/abc/inner");
  REQUIRE(dir.ok());
  CHECK(*dir == "/sys/fs/cgroup/inner");
  CHECK(*cgroupDirectory(*m, "/docker/abc") == "/sys/fs/cgroup");
  // "/docker/abcd" is not below "/docker/abc".
  CHECK_FALSE(findCgroup2Mount(sub, "/docker/abcd").ok());
  CHECK_FALSE(cgroupDirectory(*m, "/other").ok());

  auto esc = findCgroup2Mount("40 30 0:37 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n", "/a");
  REQUIRE(esc.ok());
  CHECK(esc->mountPoint == "/mnt/cg two");
  CHECK(*cgroupDirectory(*esc, "/a") == "/mnt/cg two/a");
  CHECK_FALSE(cgroupDirectory(*esc, "/a/../../etc").ok());
}

TEST_CASE("only an identity uid map lets the program see the uids privbind resolved") {
  CHECK(isIdentityUidMap("         0          0 4294967295\n"));
  CHECK_FALSE(isIdentityUidMap("         0     100000      65536\n"));
  CHECK_FALSE(isIdentityUidMap("0 0 1000\n1000 1000 1\n"));
  CHECK_FALSE(isIdentityUidMap(""));
}

TEST_CASE("privbind's cgroup names, and nothing else, are recognised") {
  std::string n = cgroupName(1234, 0x0123456789abcdefULL);
  CHECK(n == "privbind-1234-0123456789abcdef");
  CHECK(isCgroupName(n));
  CHECK(isCgroupName(cgroupName(1, 0)));
  for (const char* bad :
       {"privbind-", "privbind-12-", "privbind-x-0123456789abcdef", "privbind-12-0123456789abcde",
        "privbind-12-0123456789ABCDEF", "privbind-12-0123456789abcdef0",
        "privbind--0123456789abcdef", "system.slice", "privbind-12-0123456789abcdeg",
        "xprivbind-1-0123456789abcdef"})
    CHECK_MESSAGE(!isCgroupName(bad), bad);
}

TEST_CASE("port sets become the BPF program's bitmap, bit port%64 of word port/64") {
  auto set = ports::parse("1,63,64,80,443,1023,65535");
  REQUIRE(set.ok());
  PortWords w = portWords(*set);
  CHECK(w[0] == ((uint64_t{1} << 1) | (uint64_t{1} << 63)));
  CHECK(w[1] == ((uint64_t{1} << 0) | (uint64_t{1} << 16)));
  CHECK(w[443 / 64] == uint64_t{1} << (443 % 64));
  CHECK(w[1023 / 64] == uint64_t{1} << 63);
  CHECK(w[1023] == uint64_t{1} << 63);
  size_t bits = 0;
  for (uint64_t word : w) bits += static_cast<size_t>(__builtin_popcountll(word));
  CHECK(bits == 7);
  CHECK(portWords(ports::PortSet{}) == PortWords{});
}
