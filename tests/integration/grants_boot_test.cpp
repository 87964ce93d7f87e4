// Standing grants at boot: privbind-grants.service as this build configures and installs it.
// No systemd runs here, so the unit is checked with systemd-analyze verify, and its ExecStart,
// ExecReload and ExecStop are run for real on the host inside the unit's security context (the
// capability bounding set and no_new_privs it asks for, set up with setpriv(1)), with a real user
// whose bind of a granted port is read back from the kernel.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "packaging_support.h"

using namespace packaging;

namespace {

// The unit this build configured (cmake/install.cmake): build/systemd/privbind-grants.service.
std::string builtUnit() {
  return (std::filesystem::path(privbindPath()).parent_path() / "systemd" /
          "privbind-grants.service")
      .string();
}

// The keys of one section of a unit file: key -> every value given, in order.
std::map<std::string, std::vector<std::string>> sectionKeys(const std::string& path,
                                                            const std::string& section) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(slurp(path));
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      current = line;
      continue;
    }
    auto eq = line.find('=');
    if (current == section && eq != std::string::npos)
      out[line.substr(0, eq)].push_back(line.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "CAP_NET_ADMIN" -> "+net_admin", as setpriv(1) spells it.
std::string setprivCaps(const std::vector<std::string>& caps) {
  std::string out = "-all";
  for (std::string c : caps) {
    if (c.starts_with("CAP_")) c = c.substr(4);
    for (auto& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out += ",+" + c;
  }
  return out;
}

// A unit's command line run the way systemd would run it here: as root, with only the bounding
// set given and no_new_privs. The program is this build's binary, at the path the unit names.
RunResult runInUnitContext(const std::vector<std::string>& bounding, const std::string& command) {
  auto argv = words(command);
  REQUIRE(!argv.empty());
  std::vector<std::string> cmd = {"setpriv", "--bounding-set=" + setprivCaps(bounding),
                                  "--no-new-privs", "--", privbindPath()};
  cmd.insert(cmd.end(), argv.begin() + 1, argv.end());
  return run(cmd);
}

// Whether user can bind 127.0.0.1:port (TCP) with a program of its own: no capability, no
// launcher. setpriv drops every capability before the exec.
bool userCanBind(const TestUser& user, uint16_t port) {
  RunResult r = run(
      {"setpriv", "--reuid=" + std::to_string(user.uid()), "--regid=" + std::to_string(user.gid()),
       "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", python(), "-c",
       "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))",
       std::to_string(port)});
  return r.status == 0;
}

}  // namespace

TEST_SUITE("grants_boot") {

TEST_CASE("systemd-analyze verify accepts privbind-grants.service as built") {
  if (run({"sh", "-c", "command -v systemd-analyze"}).status != 0)
    SKIP_TEST("systemd-analyze is not installed (scripts/bootstrap installs systemd)");
  const std::string unit = builtUnit();
  REQUIRE(exists(unit));
  auto service = sectionKeys(unit, "[Service]");
  REQUIRE(service["ExecStart"].size() == 1);
  const std::string binary = words(service["ExecStart"][0]).at(0);
  // The configured prefix's binary, and the three verbs that keep their names for scripts.
  CHECK(binary.ends_with("/sbin/privbind"));
  CHECK(service["ExecStart"][0] == binary + " grants apply");
  CHECK(service["ExecReload"] == std::vector<std::string>{binary + " grants apply"});
  CHECK(service["ExecStop"] == std::vector<std::string>{binary + " grants off"});
  CHECK(service["Type"] == std::vector<std::string>{"oneshot"});
  CHECK(service["RemainAfterExit"] == std::vector<std::string>{"yes"});
  auto install = sectionKeys(unit, "[Install]");
  CHECK(install["WantedBy"] == std::vector<std::string>{"multi-user.target"});
  auto unitKeys = sectionKeys(unit, "[Unit]");
  REQUIRE(unitKeys["Before"].size() == 1);
  CHECK(contains(unitKeys["Before"][0], "basic.target"));

  // verify checks that ExecStart's program exists and that man: pages resolve: a scratch root
  // holds privbind where the unit names it, the host's units are linked in.
  TempDir root;
  REQUIRE(sh("set -e; cd " + quote(root.path()) +
             "; mkdir -p usr/lib/systemd etc/systemd/system man/man8 ." +
             quote(std::filesystem::path(binary).parent_path().string()) +
             "; ln -s /usr/lib/systemd/system usr/lib/systemd/system; cp " + quote(privbindPath()) +
             " ." + quote(binary) + "; cp " + quote(projectDir() + "/docs/privbind.8") +
             " man/man8/; cp " + quote(unit) + " etc/systemd/system/")
              .status == 0);
  auto r = run({"env", "MANPATH=" + root / "man", "systemd-analyze", "verify",
                "--root=" + root.path(), "privbind-grants.service"});
  CHECK(r.status == 0);
  // Warnings (unknown keys, bad values) leave the status at 0 but name the unit.
  std::istringstream lines(r.out + r.err);
  for (std::string line; std::getline(lines, line);) {
    CAPTURE(line);
    CHECK_FALSE(contains(line, "privbind-grants"));
  }
}

TEST_CASE("the unit's start, reload and stop do their job with only its capabilities") {
  auto service = sectionKeys(builtUnit(), "[Service]");
  REQUIRE(service["CapabilityBoundingSet"].size() == 1);
  const auto bounding = words(service["CapabilityBoundingSet"][0]);
  // Nothing but what the BPF work needs (CAP_SYS_ADMIN: the pinned links' programs are looked
  // at by id, and bpffs is mounted where it is not).
  for (const auto& cap : bounding) {
    CAPTURE(cap);
    CHECK((cap == "CAP_BPF" || cap == "CAP_NET_ADMIN" || cap == "CAP_SYS_ADMIN"));
  }
  CHECK(service["NoNewPrivileges"] == std::vector<std::string>{"yes"});
  REQUIRE(service["ExecStart"].size() == 1);
  REQUIRE(service["ExecStop"].size() == 1);
  REQUIRE(service["ExecReload"].size() == 1);

  StandingGrantsAsFound asFound;
  TestUser user;
  const uint16_t port = freeReservedPort();
  REQUIRE_FALSE(userCanBind(user, port));  // nothing granted yet
  RunResult r =
      run({privbindPath(), "grant", "-u", user.name(), "-p", std::to_string(port), "--tcp"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  REQUIRE(userCanBind(user, port));

  // ExecStop: the grant is no longer in force; the file keeps it.
  r = runInUnitContext(bounding, service["ExecStop"][0]);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK_FALSE(userCanBind(user, port));
  CHECK(contains(slurp("/etc/privbind/grants.conf"), user.name()));

  // ExecStart, as at boot: the file is in force again.
  r = runInUnitContext(bounding, service["ExecStart"][0]);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(userCanBind(user, port));

  // ExecReload on a running set: idempotent, the grant stays.
  r = runInUnitContext(bounding, service["ExecReload"][0]);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(userCanBind(user, port));

  // Negative control: without the unit's capabilities, start fails with privbind's one-line
  // reason and the grant stays off.
  r = runInUnitContext(bounding, service["ExecStop"][0]);
  REQUIRE(r.status == 0);
  r = runInUnitContext({}, service["ExecStart"][0]);
  CHECK(r.status == 125);
  CHECK(r.err.starts_with("privbind: "));
  CHECK_FALSE(userCanBind(user, port));
  // Back in force; StandingGrantsAsFound then puts the host's state back.
  r = runInUnitContext(bounding, service["ExecStart"][0]);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(userCanBind(user, port));
}

}  // TEST_SUITE("grants_boot")
