// Cgroup mode's pinned program set (src/modes/cgroup/programs.h): loaded once per host, pinned
// under /sys/fs/bpf/privbind/launch-<version>, checked by every launch before it is used, and
// replaced when it is another version's, incomplete or tampered with. Every case launches real
// commands as a real user that bind real reserved ports, and reads the pins back from the kernel
// with bpftool. What each launch did with the set is its -v line
// "privbind: cgroup mode: programs: ...".
//
// The pins are host-wide state, shared with the standing grants (the grants suites run under the
// same CTest lock) and with every other cgroup launch on this host: run this suite under
// `flock /tmp/privbind-system.lock`. A fixture moves the sets it finds aside and puts them back at
// the end, after removing the ones the test made.
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include "support.h"

using namespace testsupport;

namespace {

const std::string kPins = "/sys/fs/bpf/privbind";
const std::string kPrograms = "privbind: cgroup mode: programs: ";

std::string str(long v) { return std::to_string(v); }

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The names in dir, sorted.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void removeTree(const std::string& path) { run({"rm", "-rf", "--", path}); }

// A directory in bpffs of the test's own, outside privbind's (no launch ever looks there).
class BpffsDir {
 public:
  BpffsDir() {
    static int count = 0;
    path_ = "/sys/fs/bpf/privbind-test-" + str(getpid()) + "-" + str(++count);
    if (mkdir(path_.c_str(), 0700) != 0) path_.clear();
  }
  ~BpffsDir() {
    if (!path_.empty()) removeTree(path_);
  }
  BpffsDir(const BpffsDir&) = delete;
  BpffsDir& operator=(const BpffsDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

#define REQUIRE_CGROUP_MODE()                                  \
  do {                                                         \
    if (auto why_ = cgroupModeUnavailable()) SKIP_TEST(*why_); \
  } while (0)

// privbind -v -m cgroup -u USER OPTIONS -- COMMAND
std::vector<std::string> pbArgv(const TestUser& user, const std::vector<std::string>& options,
                                const std::vector<std::string>& command) {
  std::vector<std::string> argv = {privbindPath(), "-v", "-m", "cgroup", "-u", user.name()};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

std::vector<std::string> seq(const std::vector<std::string>& specs) {
  std::vector<std::string> argv = {bindsProgram(), "seq"};
  argv.insert(argv.end(), specs.begin(), specs.end());
  return argv;
}

// A launch that binds specs as user, one after the other: what it printed, and its -v lines.
RunResult launch(const TestUser& user, const std::vector<std::string>& specs,
                 const std::vector<std::string>& options = {}) {
  return runPipedStderr(pbArgv(user, options, seq(specs)));
}

// What the launch did with the set: its -v line, after "programs: ".
std::string programsLine(const std::string& err) {
  auto at = err.find(kPrograms);
  if (at == std::string::npos) return "";
  at += kPrograms.size();
  return err.substr(at, err.find('\n', at) - at);
}

std::string pinnedSet(const std::string& dir) { return "the pinned set " + dir; }
std::string loadedAndPinned(const std::string& dir, const std::string& why) {
  return "loaded and pinned as " + dir + " (" + why + ")";
}

// The set's directory, as a launch names it ("" when it names none).
std::string setDirIn(const std::string& err) {
  std::string line = programsLine(err);
  for (std::string lead : {"the pinned set ", "loaded and pinned as "})
    if (line.starts_with(lead))
      return line.substr(lead.size(), line.find(' ', lead.size()) - lead.size());
  return "";
}

std::string baseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// "SPEC ok\n" for each spec.
std::string allOk(const std::vector<std::string>& specs) {
  std::string out;
  for (const auto& s : specs) out += s + " ok\n";
  return out;
}

// The negative control: user, outside privbind and without any capability, is refused port.
void expectRefusedOutside(const TestUser& user, uint16_t port) {
  RunResult r = run({"setpriv", "--reuid=" + str(user.uid()), "--regid=" + str(user.gid()),
                     "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--",
                     bindsProgram(), "seq", "tcp4:" + str(port)});
  CHECK_MESSAGE(r.out == "tcp4:" + str(port) + " EACCES\n", r.err);
}

// Distinct reserved ports, free now.
std::vector<uint16_t> ports(size_t n) {
  std::vector<uint16_t> out;
  while (out.size() < n) {
    uint16_t p = freeReservedPort();
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// bpftool's JSON for the object pinned at path, shown as kind ("prog" or "map"); "" when the pin
// holds something else or nothing.
std::string shown(const std::string& kind, const std::string& path) {
  RunResult r = run({"bpftool", "-j", kind, "show", "pinned", path});
  return r.status == 0 ? r.out : "";
}

// A number field of bpftool's JSON ("id":12), or -1.
long jsonNumber(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stol(json.substr(at + key.size() + 3));
}

// The "map_ids":[...] of a program's JSON.
std::vector<long> mapIds(const std::string& json) {
  std::vector<long> out;
  auto at = json.find("\"map_ids\":[");
  if (at == std::string::npos) return out;
  std::istringstream in(json.substr(at + 11, json.find(']', at) - at - 11));
  for (std::string id; std::getline(in, id, ',');) out.push_back(std::stol(id));
  return out;
}

bool contains(const std::vector<long>& ids, long id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The pinned set at dir is complete and each pin is what it must be: the programs by kind, type
// and name, each using the set's launch map and read-only data; the maps by kind and type.
void expectCompleteSet(const std::string& dir) {
  CAPTURE(dir);
  // ring_<slot>: a slot's ring buffer, pinned once a run that reports used it.
  std::vector<std::string> pieces;
  for (const auto& e : entries(dir))
    if (!e.starts_with("ring_")) pieces.push_back(e);
  CHECK(pieces == std::vector<std::string>{"bind4", "bind6", "features", "launch", "no_grants",
                                           "no_grants_config", "post_bind4", "post_bind6", "rings",
                                           "sock_release"});
  struct stat st {};
  CHECK(stat(dir.c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK((st.st_mode & 07777) == 0700);
  const std::string launch = shown("map", dir + "/launch");
  const std::string features = shown("map", dir + "/features");
  CHECK_MESSAGE(has(launch, "\"type\":\"cgroup_storage\""), launch);
  CHECK_MESSAGE(has(launch, "\"name\":\"launch\""), launch);
  CHECK_MESSAGE(has(features, "\"type\":\"array\""), features);
  CHECK_MESSAGE(has(features, ".rodata\""), features);
  CHECK_MESSAGE(has(shown("map", dir + "/rings"), "\"type\":\"array_of_maps\""), dir);
  CHECK_MESSAGE(has(shown("map", dir + "/no_grants"), "\"type\":\"hash\""), dir);
  CHECK_MESSAGE(has(shown("map", dir + "/no_grants_config"), "\"type\":\"array\""), dir);
  for (std::string prog : {"bind4", "bind6", "post_bind4", "post_bind6", "sock_release"}) {
    CAPTURE(prog);
    const std::string json = shown("prog", dir + "/" + prog);
    CHECK_MESSAGE(has(json, "\"name\":\"" + prog + "\""), json);
    CHECK_MESSAGE(has(json, prog.starts_with("bind") ? "\"type\":\"cgroup_sock_addr\""
                                                     : "\"type\":\"cgroup_sock\""),
                  json);
    CHECK(contains(mapIds(json), jsonNumber(launch, "id")));
    CHECK(contains(mapIds(json), jsonNumber(features, "id")));
    CHECK(shown("map", dir + "/" + prog).empty());  // the control: not a map
  }
}

// A set of the test's own, pinned by a launch: its directory (the one this privbind uses).
std::string pinOne(const TestUser& user) {
  RunResult r = launch(user, {});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  const std::string dir = setDirIn(r.err);
  REQUIRE_MESSAGE(dir.starts_with(kPins + "/launch-"), r.err);
  return dir;
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_SUITE("cgroup_pins") {
TEST_CASE("the first launch loads and pins the set; the next one uses the pinned set") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser user;
  REQUIRE(launchSetEntries().empty());
  auto p = ports(2);
  const std::vector<std::string> first = {"tcp4:" + str(p[0]), "tcp6:" + str(p[0])};
  RunResult r = launch(user, first);
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out == allOk(first));
  const std::string dir = setDirIn(r.err);
  CHECK_MESSAGE(programsLine(r.err) == loadedAndPinned(dir, "no set of this version was pinned"),
                r.err);
  // launch-<16 hex digits>, and nothing else of cgroup mode's.
  const std::string name = baseName(dir);
  CHECK(name.size() == 7 + 16);
  CHECK(name.find_first_not_of("0123456789abcdef", 7) == std::string::npos);
  CHECK(launchSetEntries() == std::vector<std::string>{name});
  expectCompleteSet(dir);
  const long bind4 = jsonNumber(shown("prog", dir + "/bind4"), "id");

  const std::vector<std::string> second = {"tcp4:" + str(p[1]), "udp6:" + str(p[1])};
  RunResult again = launch(user, second);
  CHECK_MESSAGE(again.status == 0, again.err);
  CHECK(again.out == allOk(second));
  CHECK_MESSAGE(programsLine(again.err) == pinnedSet(dir), again.err);
  // The very programs pinned by the first: nothing was loaded again.
  CHECK(jsonNumber(shown("prog", dir + "/bind4"), "id") == bind4);
  CHECK(launchSetEntries() == std::vector<std::string>{name});
  for (uint16_t port : p) expectRefusedOutside(user, port);
}

TEST_CASE("8 launches at once with nothing pinned: all bind, one set is left, nothing half-made") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser user;
  TempDir tmp;
  REQUIRE(launchSetEntries().empty());
  // A start line: each launch waits for one line of a FIFO the test holds open, then all are
  // let go with one write.
  const std::string fifo = tmp / "start";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  int start = open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(start >= 0);
  auto p = ports(8);
  std::vector<std::unique_ptr<Process>> launches;
  for (uint16_t port : p)
    launches.push_back(std::make_unique<Process>(
        std::vector<std::string>{"/bin/sh", "-c", "read x <\"$0\" && exec \"$@\"", fifo} +
        pbArgv(user, {}, seq({"tcp4:" + str(port)}))));
  // Every shell is waiting on the FIFO by now (and a late one still finds its line there).
  usleep(300000);
  // Other suites' cgroup-mode runs may have pinned this version's set meanwhile: gone again, as
  // late as can be.
  for (const auto& e : launchSetEntries()) run({"rm", "-rf", "--", kPins + "/" + e});
  const std::string lines(p.size(), '\n');
  REQUIRE(write(start, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size()));
  int loaded = 0;
  std::string dir;
  for (size_t i = 0; i < p.size(); ++i) {
    CAPTURE(i);
    CHECK(launches[i]->wait(60s) == 0);
    CHECK_MESSAGE(launches[i]->out() == "tcp4:" + str(p[i]) + " ok\n", launches[i]->err());
    const std::string line = programsLine(launches[i]->err());
    // A launch that loaded the set too, but found another's pinned first, uses its own.
    const bool lost = line == "loaded for this run only (another run pinned its set first)";
    if (line.starts_with("loaded and pinned as ") || lost)
      ++loaded;
    else
      CHECK_MESSAGE(line.starts_with("the pinned set "), launches[i]->err());
    if (dir.empty() && !lost) dir = setDirIn(launches[i]->err());
  }
  close(start);
  // How many raced to pin: more than one, or the race was not run.
  MESSAGE(loaded, " of 8 launches loaded and pinned the set");
  // None: another suite's run pinned the set in the few milliseconds before these got to it
  // (the rest below still holds); otherwise more than one raced.
  if (loaded > 0) CHECK(loaded >= 2);
  // One set, complete; no launch-*_new<pid> left.
  REQUIRE(!dir.empty());
  CHECK(launchSetEntries() == std::vector<std::string>{baseName(dir)});
  expectCompleteSet(dir);
  RunResult next = launch(user, {"tcp6:" + str(p[0])});
  CHECK(next.out == "tcp6:" + str(p[0]) + " ok\n");
  CHECK_MESSAGE(programsLine(next.err) == pinnedSet(dir), next.err);
  expectRefusedOutside(user, p[0]);
}

TEST_CASE(
    "another version's set is replaced and removed; a command started with it keeps binding") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser user;
  TempDir tmp;
  auto p = ports(3);
  const std::string dir = pinOne(user);
  // A server started with the set now pinned: binds one port, then another once told to.
  const std::string go = tmp / "go";
  Process server(pbArgv(user, {},
                        {"/bin/sh", "-c",
                         "\"$0\" seq tcp4:" + str(p[0]) + " && while [ ! -e " + go +
                             " ]; do sleep 0.05; done && exec \"$0\" seq tcp4:" + str(p[1]),
                         bindsProgram()}));
  REQUIRE_MESSAGE(eventually([&] { return server.out() == "tcp4:" + str(p[0]) + " ok\n"; }, 15s),
                  server.out(), server.err());
  CHECK_MESSAGE(programsLine(server.err()) == pinnedSet(dir), server.err());
  // That set becomes another version's: an older privbind's, as after an upgrade.
  const std::string other = kPins + "/launch-0000000000000000";
  REQUIRE(rename(dir.c_str(), other.c_str()) == 0);
  RunResult upgraded = launch(user, {"tcp4:" + str(p[2])});
  CHECK_MESSAGE(upgraded.status == 0, upgraded.err);
  CHECK(upgraded.out == "tcp4:" + str(p[2]) + " ok\n");
  CHECK_MESSAGE(
      programsLine(upgraded.err) == loadedAndPinned(dir, "no set of this version was pinned"),
      upgraded.err);
  // The other version's set is gone; this one's is in place.
  CHECK_FALSE(exists(other));
  CHECK(launchSetEntries() == std::vector<std::string>{baseName(dir)});
  expectCompleteSet(dir);
  // The server's grant did not go with the pins: its links hold the programs.
  { std::ofstream(go) << "go\n"; }
  CHECK(server.wait(15s) == 0);
  CHECK(server.out() == "tcp4:" + str(p[0]) + " ok\ntcp4:" + str(p[1]) + " ok\n");
  expectRefusedOutside(user, p[1]);
}

TEST_CASE("a tampered set is not used: the launch loads and pins its own, and binds") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser user;
  const std::string dir = pinOne(user);
  // A second complete set of this version, kept where no launch looks: objects that are right
  // in every way but being another set's.
  BpffsDir aside;
  REQUIRE(!aside.path().empty());
  const std::string other = aside.path() + "/set";
  REQUIRE(rename(dir.c_str(), other.c_str()) == 0);
  REQUIRE(pinOne(user) == dir);
  REQUIRE(exists(dir + "/bind4"));

  auto pinAt = [](const std::string& kind, const std::string& from, const std::string& at) {
    unlink(at.c_str());
    RunResult r = run({"bpftool", kind, "pin", "pinned", from, at});
    REQUIRE_MESSAGE(r.status == 0, r.err);
  };
  struct Tamper {
    std::string what, why;
    std::function<void()> apply;
  };
  const Tamper cases[] = {
      {"a map where a program should be", "bind4's pin is not a program",
       [&] { pinAt("map", dir + "/launch", dir + "/bind4"); }},
      {"another program of the set (bind6 at bind4)", "bind4's pin is another program (bind6)",
       [&] { pinAt("prog", dir + "/bind6", dir + "/bind4"); }},
      {"another program of the set (post_bind4 at sock_release)",
       "sock_release's pin is another program (post_bind4)",
       [&] { pinAt("prog", dir + "/post_bind4", dir + "/sock_release"); }},
      {"the same program of another set", "bind4 does not use the set's maps",
       [&] { pinAt("prog", other + "/bind4", dir + "/bind4"); }},
      // What stands at the set's directory goes whole, whatever it holds.
      {"a directory where a program should be",
       "bpf(BPF_OBJ_GET, " + dir + "/bind4): Permission denied",
       [&] {
         unlink((dir + "/bind4").c_str());
         REQUIRE(mkdir((dir + "/bind4").c_str(), 0700) == 0);
       }},
      {"a stray pin beside a missing piece", "post_bind6 is not pinned",
       [&] {
         unlink((dir + "/post_bind6").c_str());
         pinAt("map", dir + "/launch", dir + "/stray");
       }},
      // ... and is not followed through a symbolic link.
      {"a symbolic link beside a missing piece", "sock_release is not pinned",
       [&] {
         unlink((dir + "/sock_release").c_str());
         REQUIRE(symlink(aside.path().c_str(), (dir + "/elsewhere").c_str()) == 0);
       }},
      {"a missing piece", "rings is not pinned", [&] { unlink((dir + "/rings").c_str()); }},
      {"missing read-only data", "features is not pinned",
       [&] { unlink((dir + "/features").c_str()); }},
      {"launch: another set's map of the same layout", "bind4 does not use the set's maps",
       [&] { pinAt("map", other + "/launch", dir + "/launch"); }},
      {"launch: a map of another type", "launch is a map of another type",
       [&] {
         unlink((dir + "/launch").c_str());
         RunResult r = run({"bpftool", "map", "create", dir + "/launch", "type", "hash", "key", "8",
                            "value", "8", "entries", "1", "name", "launch"});
         REQUIRE_MESSAGE(r.status == 0, r.err);
       }},
  };
  for (const Tamper& t : cases) {
    CAPTURE(t.what);
    t.apply();
    // ---- the launch after the tampering binds, with a set of its own, pinned in place
    auto p = ports(1);
    const std::vector<std::string> specs = {"tcp4:" + str(p[0]), "tcp6:" + str(p[0])};
    RunResult r = launch(user, specs, {"-n", "2"});  // post_bind4/6 linked too
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK_MESSAGE(r.out == allOk(specs), r.err);
    CHECK_MESSAGE(programsLine(r.err) == loadedAndPinned(dir, t.why), r.err);
    expectCompleteSet(dir);
    // ---- repaired: the next launch takes it as it is
    RunResult next = launch(user, {"tcp4:" + str(p[0])}, {"--max-bound", "1"});
    CHECK(next.out == "tcp4:" + str(p[0]) + " ok\n");
    CHECK_MESSAGE(programsLine(next.err) == pinnedSet(dir), next.err);
    expectRefusedOutside(user, p[0]);
  }
  CHECK(launchSetEntries() == std::vector<std::string>{baseName(dir)});
  // What the link pointed to is as it was.
  CHECK(exists(other + "/bind4"));
}

TEST_CASE("one pinned set, a policy per launch: two launches at once, other users, other -p") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser alice, bob;
  TempDir tmp;
  chmod(tmp.path().c_str(), 0777);  // each command, as its user, says here that it is ready
  const std::string dir = pinOne(alice);
  auto p = ports(2);
  // Each binds the other's port (refused) and its own (granted), says it is ready, waits until
  // the other is (both policies are then written and linked), and binds both again.
  auto command = [&](uint16_t mine, uint16_t theirs, const std::string& ready,
                     const std::string& wait) {
    const std::string specs = "tcp4:" + str(theirs) + " tcp4:" + str(mine);
    return std::vector<std::string>{
        "/bin/sh", "-c",
        "\"$0\" seq " + specs + " && touch " + ready + " && n=0 && while [ ! -e " + wait +
            " ] && [ $n -lt 300 ]; do sleep 0.05; n=$((n+1)); done && exec \"$0\" seq " + specs,
        bindsProgram()};
  };
  Process a(pbArgv(alice, {"-p", str(p[0])}, command(p[0], p[1], tmp / "a", tmp / "b")));
  Process b(pbArgv(bob, {"-p", str(p[1])}, command(p[1], p[0], tmp / "b", tmp / "a")));
  CHECK(a.wait(30s) == 0);
  CHECK(b.wait(30s) == 0);
  const std::string twiceA = "tcp4:" + str(p[1]) + " EACCES\ntcp4:" + str(p[0]) + " ok\n";
  const std::string twiceB = "tcp4:" + str(p[0]) + " EACCES\ntcp4:" + str(p[1]) + " ok\n";
  CHECK_MESSAGE(a.out() == twiceA + twiceA, a.err());
  CHECK_MESSAGE(b.out() == twiceB + twiceB, b.err());
  CHECK_MESSAGE(programsLine(a.err()) == pinnedSet(dir), a.err());
  CHECK_MESSAGE(programsLine(b.err()) == pinnedSet(dir), b.err());
  // Both were running at once: each saw the other's file.
  CHECK(exists(tmp / "a"));
  CHECK(exists(tmp / "b"));
  expectRefusedOutside(alice, p[0]);
  expectRefusedOutside(bob, p[1]);
}

TEST_CASE("the pinned set needs the rights its loading needs; with them it binds") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  TestUser user;
  auto p = ports(1);
  const std::string spec = "tcp4:" + str(p[0]);
  const std::string dir = pinOne(user);
  const std::string refusal =
      "privbind: cgroup mode: loading the BPF programs: Operation not permitted (loading BPF "
      "programs needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)\n";
  auto capsh = [](const std::string& drop) {
    return std::vector<std::string>{"capsh", "--drop=" + drop, "--", "-c", "exec \"$0\" \"$@\""};
  };
  // Without CAP_SYS_ADMIN, CAP_BPF or CAP_NET_ADMIN is not enough alone.
  for (std::string drop : {"cap_sys_admin,cap_bpf,cap_net_admin", "cap_sys_admin,cap_net_admin",
                           "cap_sys_admin,cap_bpf"}) {
    CAPTURE(drop);
    REQUIRE(exists(dir + "/bind4"));
    RunResult r = run(capsh(drop) + pbArgv(user, {}, seq({spec})));
    CHECK(r.status == 125);
    CHECK(r.out.empty());  // the command never ran
    CHECK(r.err == refusal);
  }
  {  // The same from the bounding set, as a unit's CapabilityBoundingSet= does.
    RunResult r = run(
        std::vector<std::string>{"setpriv", "--bounding-set", "-sys_admin,-bpf,-net_admin", "--"} +
        pbArgv(user, {}, seq({spec})));
    CHECK(r.status == 125);
    CHECK(r.err == refusal);
  }
  // The controls: CAP_SYS_ADMIN alone, CAP_BPF with CAP_NET_ADMIN, and all of them.
  for (std::string drop : {"cap_bpf,cap_net_admin", "cap_sys_admin", ""}) {
    CAPTURE(drop);
    RunResult r = run((drop.empty() ? std::vector<std::string>{} : capsh(drop)) +
                      pbArgv(user, {}, seq({spec})));
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(r.out == spec + " ok\n");
    CHECK_MESSAGE(programsLine(r.err) == pinnedSet(dir), r.err);
  }
  expectRefusedOutside(user, p[0]);
}

TEST_CASE("doctor's probe loads the programs but pins nothing") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  REQUIRE(launchSetEntries().empty());
  RunResult doctor = run({privbindPath(), "doctor"}, 120s);
  CHECK_MESSAGE(doctor.status <= 1, doctor.err);
  // The probe ran: it says cgroup mode works.
  CHECK_MESSAGE(has(doctor.out, "cgroup mode:  works"), doctor.out);
  CHECK(launchSetEntries().empty());
  // The control: a launch leaves a set, where the check above would see it.
  TestUser user;
  const std::string dir = pinOne(user);
  CHECK(launchSetEntries() == std::vector<std::string>{baseName(dir)});
  // ... and a probe with a set pinned leaves it as it is.
  const long bind4 = jsonNumber(shown("prog", dir + "/bind4"), "id");
  RunResult again = run({privbindPath(), "doctor"}, 120s);
  CHECK(has(again.out, "cgroup mode:  works"));
  CHECK(jsonNumber(shown("prog", dir + "/bind4"), "id") == bind4);
  CHECK(launchSetEntries() == std::vector<std::string>{baseName(dir)});
}

TEST_CASE("the set beside standing grants uses their maps; after 'grants off' it is reloaded") {
  REQUIRE_CGROUP_MODE();
  LaunchSetsAsFound asFound;
  StandingGrantsAsFound grants;
  TestUser user;
  auto p = ports(2);
  const std::string pa = str(p[0]), pb = str(p[1]);
  const std::vector<std::string> limits = {"-p", pa + "," + pb, "-n", "1"};
  const std::vector<std::string> specs = {"tcp4:" + pa, "tcp4:" + pb};
  const std::string dir = pinOne(user);  // without standing grants
  RunResult granted = run({privbindPath(), "grant", "-u", user.name(), "-p", pa, "--tcp"});
  REQUIRE_MESSAGE(granted.status == 0, granted.err);
  std::string grantsPin;
  for (const auto& name : entries(kPins))
    if (name.starts_with("grants_map_v")) grantsPin = kPins + "/" + name;
  REQUIRE(!grantsPin.empty());
  const long grantsMap = jsonNumber(shown("map", grantsPin), "id");
  REQUIRE(grantsMap > 0);
  // ---- with the grants: a set that reads their maps; the granted TCP bind on A is the
  //      grant's, and does not use up -n 1, which B takes
  RunResult with = launch(user, specs, limits);
  CHECK_MESSAGE(with.status == 0, with.err);
  CHECK(with.out == allOk(specs));
  CHECK_MESSAGE(programsLine(with.err) ==
                    loadedAndPinned(dir, "the set predates the standing grants' maps pinned now"),
                with.err);
  CHECK(contains(mapIds(shown("prog", dir + "/bind4")), grantsMap));
  CHECK(jsonNumber(shown("map", dir + "/no_grants"), "id") == grantsMap);
  RunResult again = launch(user, specs, limits);
  CHECK(again.out == allOk(specs));
  CHECK_MESSAGE(programsLine(again.err) == pinnedSet(dir), again.err);
  // ---- grants off: the set is not used, and A is cgroup mode's own bind: it takes -n 1, so B
  //      is refused, and said to be
  REQUIRE(run({privbindPath(), "grants", "off"}).status == 0);
  REQUIRE_FALSE(exists(grantsPin));
  RunResult off = launch(user, specs, limits);
  CHECK_MESSAGE(off.status == 0, off.err);
  CHECK(off.out == "tcp4:" + pa + " ok\ntcp4:" + pb + " EACCES\n");
  CHECK_MESSAGE(has(off.err, "privbind: port " + pb + "/tcp: bind refused: -n 1"), off.err);
  CHECK_MESSAGE(
      programsLine(off.err) ==
          loadedAndPinned(dir, "the set uses standing grants' maps that are no longer pinned"),
      off.err);
  CHECK_FALSE(contains(mapIds(shown("prog", dir + "/bind4")), grantsMap));
  CHECK(jsonNumber(shown("map", dir + "/no_grants"), "max_entries") == 1);
  expectCompleteSet(dir);
  RunResult next = launch(user, {"tcp4:" + pa});
  CHECK(next.out == "tcp4:" + pa + " ok\n");
  CHECK_MESSAGE(programsLine(next.err) == pinnedSet(dir), next.err);
  // The control: without privbind and without the grant, A is refused.
  expectRefusedOutside(user, p[0]);
}
}  // TEST_SUITE("cgroup_pins")
