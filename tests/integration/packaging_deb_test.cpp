// The Debian package, built with scripts/build-deb: its control fields, lintian (suite
// packaging_deb), and a real apt install ./*.deb / run both modes / dpkg -P cycle on this machine
// (suite packaging_deb_install). The install cycle changes the system, so CTest runs it under
// RESOURCE_LOCK dpkg, and it refuses to touch a privbind installed by someone else.
//
// Under CTest the build suite is the install suite's fixture: it builds the package into the
// directory PRIVBIND_TEST_DEB_DIR names, and the install suite, run after it, installs that very
// file. The long build then holds no lock, and the suites that need the dpkg or the standing
// grants' lock run beside it. Run on its own (no PRIVBIND_TEST_DEB_DIR, or nothing built there),
// each suite builds its own package in a scratch directory.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "packaging_support.h"

using namespace packaging;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool packageInstalled() {
  auto r = run({"dpkg-query", "-W", "-f=${Status}", "privbind"});
  return r.status == 0 && contains(r.out, "installed") && !contains(r.out, "not-installed");
}

// The directory CTest has the package built in and installed from, or "".
std::string sharedDebDir() {
  const char* dir = std::getenv("PRIVBIND_TEST_DEB_DIR");
  return dir ? dir : "";
}

struct Built {
  std::optional<TempDir> scratch;
  RunResult result;
  std::string deb;
  // Builds the package into `dir`, or into a scratch directory when `dir` is empty.
  explicit Built(std::string dir) {
    if (dir.empty()) dir = scratch.emplace() / "build";
    // A fresh build, BPF program and skeleton included: on a loaded 2-core machine it has taken
    // more than 8 minutes.
    result = run({projectDir() + "/scripts/build-deb", dir}, std::chrono::minutes(20));
    deb = trim(result.out);
    if (auto nl = deb.rfind('\n'); nl != std::string::npos) deb = deb.substr(nl + 1);
  }
  // The package found in `dir`, built earlier in this CTest run.
  Built(const std::string& dir, const std::string& found) : deb(found) {
    result.status = 0;
    result.out = found + "\n";
    result.err = "build-deb: built by the packaging_deb suite in " + dir;
  }
};

Built& checked(Built& b) {
  REQUIRE_MESSAGE(b.result.status == 0, b.result.out << b.result.err);
  REQUIRE(exists(b.deb));
  return b;
}

// The package under test in the build suite: always built here and now, by scripts/build-deb.
Built& built() {
  static Built once(sharedDebDir());
  return checked(once);
}

// The package the install suite installs: the one the build suite made in this CTest run (the
// one privbind_*.deb in PRIVBIND_TEST_DEB_DIR), else one built here.
Built& installable() {
  static Built once = [] {
    const std::string dir = sharedDebDir();
    if (!dir.empty()) {
      auto found = run({"sh", "-c", "ls -1 -- \"$0\"/privbind_*.deb", dir});
      if (found.status == 0 && std::count(found.out.begin(), found.out.end(), '\n') == 1)
        return Built(dir, trim(found.out));
    }
    return Built(std::string());
  }();
  return checked(once);
}

std::string field(const std::string& name) {
  return trim(run({"dpkg-deb", "-f", built().deb, name}).out);
}

// Purges the package when the test that installed it ends, whatever happened in between.
struct PurgeOnExit {
  ~PurgeOnExit() {
    if (packageInstalled()) run({"dpkg", "-P", "privbind"}, std::chrono::minutes(2));
  }
};

}  // namespace

TEST_SUITE("packaging_deb") {

TEST_CASE("scripts/build-deb makes one .deb whose version is the project version") {
  auto& b = built();
  CHECK(b.deb.size() > 4);
  CHECK(b.deb.substr(b.deb.size() - 4) == ".deb");
  // Its one line on stdout is the path; stderr says each stage as it starts and ends.
  CHECK(trim(b.result.out) == b.deb);
  for (const char* stage : {"build-deb: configuring", "build-deb: compiling", "build-deb: packing"})
    CHECK_MESSAGE(contains(b.result.err, stage), b.result.err);
  CHECK(contains(b.result.err, "packing the .deb (cpack -G DEB, dpkg-shlibdeps, strip): done in "));
  CHECK(field("Package") == "privbind");
  CHECK(field("Version") == PRIVBIND_TEST_VERSION);
  CHECK(contains(b.deb, std::string("privbind_") + PRIVBIND_TEST_VERSION + "_"));
  CHECK(field("Section") == "admin");
  CHECK(field("Priority") == "optional");
  CHECK(contains(field("Maintainer"), "<"));
  CHECK(field("Architecture") == trim(run({"dpkg", "--print-architecture"}).out));
  // Depends computed by dpkg-shlibdeps from the NEEDED entries: libcap for the launcher, libbpf
  // for cgroup mode, libc.
  std::string depends = field("Depends");
  CHECK(contains(depends, "libc6 (>="));
  CHECK(contains(depends, "libcap2 (>="));
  CHECK(contains(depends, "libbpf1 (>="));
  CHECK(contains(field("Recommends"), "patchelf"));
  CHECK(contains(field("Description"), "\n"));  // synopsis and an extended description
}

TEST_CASE("the package holds stripped binaries, gzipped man pages, copyright and changelog") {
  TempDir x;
  REQUIRE(run({"dpkg-deb", "-x", built().deb, x.path()}).status == 0);
  std::string multiarch = trim(run({"dpkg-architecture", "-qDEB_HOST_MULTIARCH"}).out);
  REQUIRE_FALSE(multiarch.empty());
  std::string shim = x / "usr/lib/" + multiarch + "/privbind/libprivbind-shim.so";
  for (const std::string& elf : {x / "usr/sbin/privbind", shim}) {
    CAPTURE(elf);
    REQUIRE(exists(elf));
    // Stripped: no static symbol table left.
    auto sections = run({"readelf", "-S", "-W", elf});
    CHECK(sections.status == 0);
    CHECK_FALSE(contains(sections.out, ".symtab"));
  }
  CHECK(modeOf(shim) == 0644);
  CHECK(modeOf(x / "usr/sbin/privbind-grant-java") == 0755);
  CHECK(run({"gzip", "-t", x / "usr/share/man/man8/privbind.8.gz"}).status == 0);
  CHECK(run({"gzip", "-t", x / "usr/share/man/man8/privbind-grant-java.8.gz"}).status == 0);
  CHECK(run({"gzip", "-t", x / "usr/share/doc/privbind/changelog.gz"}).status == 0);
  CHECK(contains(slurp(x / "usr/share/doc/privbind/copyright"), "Format: https://www.debian.org"));
  CHECK(exists(x / "usr/share/bash-completion/completions/privbind"));
  // Standing grants at boot: the unit, where systemd reads units, naming the packaged binary.
  const std::string unit = slurp(x / "usr/lib/systemd/system/privbind-grants.service");
  CHECK(contains(unit, "\nExecStart=/usr/sbin/privbind grants apply\n"));
  CHECK(contains(unit, "\nExecStop=/usr/sbin/privbind grants off\n"));
  CHECK(contains(unit, "\nWantedBy=multi-user.target\n"));
  // ...and the maintainer scripts that enable it and detach the grants on removal.
  TempDir control;
  REQUIRE(run({"dpkg-deb", "-e", built().deb, control / "DEBIAN"}).status == 0);
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    CAPTURE(script);
    CHECK(modeOf(control / "DEBIAN/" + script) == 0755);
    CHECK(run({"sh", "-n", control / "DEBIAN/" + script}).status == 0);
  }
  CHECK(contains(slurp(control / "DEBIAN/postinst"), "deb-systemd-helper enable"));
  CHECK(contains(slurp(control / "DEBIAN/prerm"), "/usr/sbin/privbind grants off"));
  // Everything under /usr, nothing elsewhere.
  auto listing = run({"dpkg-deb", "-c", built().deb});
  std::istringstream lines(listing.out);
  std::string line;
  int entries = 0;
  while (std::getline(lines, line)) {
    ++entries;
    CAPTURE(line);
    CHECK(contains(line, " ./usr/"));
    CHECK(contains(line, "root/root"));
  }
  CHECK(entries > 10);
}

TEST_CASE("lintian finds no error") {
  if (run({"sh", "-c", "command -v lintian"}).status != 0) {
    SKIP_TEST("lintian is not installed (scripts/bootstrap installs it)");
  }
  auto r = run({"lintian", "--fail-on", "error", "--no-tag-display-limit", "-I", built().deb},
               std::chrono::minutes(5));
  MESSAGE("lintian says:\n" << r.out);
  CHECK(r.status == 0);
  CHECK_FALSE(contains(r.out, "\nE: "));
  CHECK(r.out.rfind("E: ", 0) != 0);
}

}  // TEST_SUITE("packaging_deb")

TEST_SUITE("packaging_deb_install") {

TEST_CASE("apt install ./*.deb, both modes from the installed files, dpkg -P leaves nothing") {
  if (packageInstalled()) {
    SKIP_TEST(
        "a privbind package is already installed on this machine; this test "
        "installs and purges its own and will not replace someone else's");
  }
  auto& b = installable();
  std::vector<std::string> paths;  // every path the package ships, as installed
  {
    std::istringstream lines(run({"dpkg-deb", "-c", b.deb}).out);
    std::string line;
    while (std::getline(lines, line)) {
      auto at = line.find(" ./");
      if (at == std::string::npos) continue;
      std::string p = line.substr(at + 2);
      if (p.size() > 1 && p.back() == '/') p.pop_back();
      paths.push_back(p);
    }
  }
  REQUIRE(paths.size() > 10);

  // Removing the package detaches the standing grants and purging it removes their file: the
  // host's are put back when the test ends.
  StandingGrantsAsFound grantsAsFound;
  // Removing it also removes cgroup mode's pinned program sets: the host's are put back.
  LaunchSetsAsFound launchSetsAsFound;
  PurgeOnExit purge;
  // As docs/packaging.md says: apt installs a file given by its path, with what it Depends on.
  auto install =
      run({"apt-get", "install", "-y", "--no-install-recommends", b.deb}, std::chrono::minutes(4));
  REQUIRE_MESSAGE(install.status == 0, install.out << install.err);
  REQUIRE(packageInstalled());
  // postinst enabled the boot unit of standing grants (no systemd runs here to start it).
  const std::string wants = "/etc/systemd/system/multi-user.target.wants/privbind-grants.service";
  const bool systemdHelpers = run({"sh", "-c", "command -v deb-systemd-helper"}).status == 0;
  if (systemdHelpers) CHECK(exists(wants));

  auto version = run({"/usr/sbin/privbind", "--version"});
  CHECK(version.out == std::string("privbind ") + PRIVBIND_TEST_VERSION + "\n");
  CHECK(contains(run({"man", "-w", "privbind"}).out, "/usr/share/man/man8/privbind.8.gz"));

  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  std::string multiarch = trim(run({"dpkg-architecture", "-qDEB_HOST_MULTIARCH"}).out);
  auto broker = serveThrough("/usr/sbin/privbind", "broker", server);
  CHECK(broker.reply.rfind("uid=65534 euid=65534", 0) == 0);
  CHECK(contains(broker.maps, "/usr/lib/" + multiarch + "/privbind/libprivbind-shim.so"));
  // The installed doctor finds the installed shim and can load it.
  auto doctor = run({"/usr/sbin/privbind", "doctor", "--json"}, std::chrono::minutes(1));
  auto shim = run({python(), "-c",
                   "import json,sys; s=json.load(sys.stdin)['system']; "
                   "print(s['shim'], s['shim_loadable'])"},
                  std::chrono::seconds(30), doctor.out);
  CHECK_MESSAGE(shim.out == "/usr/lib/" + multiarch + "/privbind/libprivbind-shim.so True\n",
                doctor.out << doctor.err);
  auto caps = serveThrough("/usr/sbin/privbind", "caps", server);
  CHECK(caps.reply.rfind("uid=65534 euid=65534", 0) == 0);
  CHECK_FALSE(contains(caps.maps, "libprivbind-shim"));

  // A standing grant made with the installed binary...
  TestUser user;
  const std::string port = std::to_string(freeReservedPort());
  auto granted = run({"/usr/sbin/privbind", "grant", "-u", user.name(), "-p", port, "--tcp"});
  CHECK_MESSAGE(granted.status == 0, granted.err);
  CHECK(contains(run({privbindPath(), "grants"}).out, user.name()));
  CHECK(exists("/sys/fs/bpf/privbind/grants_bind4"));
  // ...and a cgroup mode launch, which pins its program set.
  auto cgroup = run({"/usr/sbin/privbind", "-v", "-m", "cgroup", "-u", "nobody", "--", "true"});
  CHECK_MESSAGE(cgroup.status == 0, cgroup.err);
  CHECK_MESSAGE(contains(cgroup.err, "programs: loaded and pinned as /sys/fs/bpf/privbind/launch-"),
                cgroup.err);
  CHECK(!launchSetEntries().empty());
  // And another version's set (an empty stand-in): postrm removes every version's. (Other
  // suites' cgroup-mode runs may pin this version's set again at any time, so that one is not
  // what the check below looks at.)
  const std::string otherSet = "/sys/fs/bpf/privbind/launch-ffffffffffffffff";
  CHECK(mkdir(otherSet.c_str(), 0700) == 0);

  auto remove = run({"dpkg", "-r", "privbind"}, std::chrono::minutes(2));
  CHECK_MESSAGE(remove.status == 0, remove.err);
  CHECK_FALSE(exists("/usr/sbin/privbind"));
  // ...is detached by the removal (prerm: grants off): nothing of privbind's stays in the
  // kernel once privbind is gone. The policy file stays until purge.
  CHECK_FALSE(exists("/sys/fs/bpf/privbind/grants_bind4"));
  CHECK_FALSE(exists(otherSet));  // postrm
  CHECK(contains(slurp("/etc/privbind/grants.conf"), user.name()));
  auto purged = run({"dpkg", "-P", "privbind"}, std::chrono::minutes(2));
  CHECK_MESSAGE(purged.status == 0, purged.err);
  CHECK_FALSE(packageInstalled());
  CHECK_FALSE(exists("/etc/privbind/grants.conf"));
  CHECK_FALSE(exists(wants));
  CHECK_FALSE(exists("/etc/systemd/system/privbind-grants.service"));  // postrm's mask
  // Files and the package's own directories are gone; shared ones (/usr/sbin...) stay.
  for (const auto& p : paths) {
    if (!contains(p, "privbind")) continue;
    CAPTURE(p);
    CHECK_FALSE(exists(p));
  }
}

}  // TEST_SUITE("packaging_deb_install")
