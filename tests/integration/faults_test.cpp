// Faults and load: the helper killed under the app, the app killed under the helper (also as
// PID 1 of its own pid namespace), thousands of sequential and concurrent brokered binds with
// the helper's descriptors and memory read back from /proc, a descriptor limit of 64, and a user
// in more than 64 supplementary groups.
//
// The helper is double-forked away from the command, so to signal it the test first makes itself
// a child subreaper (PR_SET_CHILD_SUBREAPER, prctl(2)): the orphaned helper is then re-parented to
// this very process, the test checks that its parent is getpid() before it sends anything, and
// waitpid(2) on it proves that it exited rather than merely looking gone.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "broker_support.h"
#include "support.h"

using namespace testsupport;
using namespace brokertest;

namespace {

// Under AddressSanitizer freed memory sits in a quarantine, so a helper built with it grows by
// design; the memory check is for the real build (descriptors are checked in both).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// Makes this process the reaper of orphaned descendants for the scope, and reaps (only) the
// helpers it was told about on the way out, waiting for them to exit on their own.
class Subreaper {
 public:
  Subreaper() { REQUIRE(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0); }
  ~Subreaper() {
    for (pid_t pid : helpers_) eventually([&] { return waitpid(pid, nullptr, WNOHANG) != 0; }, 5s);
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
  Subreaper(const Subreaper&) = delete;
  Subreaper& operator=(const Subreaper&) = delete;
  void adopt(pid_t helper) { helpers_.push_back(helper); }
  // True once the helper exited and this process reaped it.
  static bool reaped(pid_t helper) {
    int ws = 0;
    return waitpid(helper, &ws, WNOHANG) == helper;
  }

 private:
  std::vector<pid_t> helpers_;
};

// The helper of a privbind -v run, checked to be this test's own descendant.
pid_t ownHelper(Process& p, Subreaper& reaper) {
  pid_t helper = waitForHelper(p);
  REQUIRE_MESSAGE(helper > 0, p.err());
  pid_t parent = -1;
  REQUIRE(eventually([&] { return procState(helper, &parent) && parent == getpid(); }, 5s));
  reaper.adopt(helper);
  return helper;
}

std::string line(const std::string& out, const std::string& prefix) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.compare(0, prefix.size(), prefix) == 0) return l;
  return "";
}

bool hasLine(Process& p, const std::string& prefix) { return !line(p.out(), prefix).empty(); }

void touch(const std::string& path) { std::ofstream(path) << "go\n"; }

// Resident and private memory from /proc/PID/smaps_rollup, KiB.
std::map<std::string, long> memory(pid_t pid) {
  std::ifstream in("/proc/" + str(pid) + "/smaps_rollup");
  std::map<std::string, long> m;
  for (std::string l; std::getline(in, l);) {
    std::istringstream f(l);
    std::string key;
    long kb = 0;
    if (f >> key >> kb) m[key.substr(0, key.size() - 1)] = kb;
  }
  return m;
}

std::string faultsApp(const TempDir& dir) { return buildC("faults_app.c", dir.path()); }

// Runs N brokered binds (sequential, or T threads of K) and checks that the helper's descriptor
// count and memory are the same afterwards as after the first 100.
void loadRun(const std::vector<std::string>& appArgs, long total) {
  TempDir dir;
  std::string app = faultsApp(dir);
  Subreaper reaper;
  std::vector<std::string> argv = {
      privbindPath(), "--mode=broker", "-v", "-u", "nobody", "--", app};
  argv.insert(argv.end(), appArgs.begin(), appArgs.end());
  argv.push_back(dir / "go1");
  argv.push_back(dir / "go2");
  Process p(argv);
  pid_t helper = ownHelper(p, reaper);
  REQUIRE_MESSAGE(eventually([&] { return hasLine(p, "warm"); }, 30s), (p.out() + p.err()));
  const int fdsBefore = fdCount(helper);
  auto memBefore = memory(helper);
  touch(dir / "go1");
  REQUIRE_MESSAGE(eventually([&] { return hasLine(p, "done") || hasLine(p, "FAIL"); }, 300s),
                  p.err());
  CHECK_MESSAGE(line(p.out(), "done") == "done " + std::to_string(total), p.out());
  // The helper closes each connection after its reply; give the last one a moment.
  CHECK(eventually([&] { return fdCount(helper) <= fdsBefore; }, 2s));
  auto memAfter = memory(helper);
  MESSAGE("helper fds " << fdsBefore << " -> " << fdCount(helper) << ", Rss " << memBefore["Rss"]
                        << " -> " << memAfter["Rss"] << " KiB, anonymous " << memBefore["Anonymous"]
                        << " -> " << memAfter["Anonymous"] << " KiB");
  // Flat: a leak of even 16 bytes per request would add 100 KiB over 6,400 of them. Anonymous
  // memory (heap, stack) is what a leak grows; Private_Clean is not: library pages turn from
  // shared to private whenever another process that mapped them exits.
  if (!kAsan) {
    REQUIRE(memBefore.count("Anonymous"));
    CHECK(memAfter["Anonymous"] <= memBefore["Anonymous"] + 64);
    CHECK(memAfter["Rss"] <= memBefore["Rss"] + 64);
  }
  touch(dir / "go2");
  auto st = p.wait(30s);
  REQUIRE(st);
  CHECK(*st == 0);
  CHECK(eventually([&] { return Subreaper::reaped(helper); }, 2s));
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("the helper SIGKILLed: the next privileged bind fails with EACCES within a second") {
  TempDir dir;
  std::string app = faultsApp(dir);
  uint16_t port = freeReservedPort();
  Subreaper reaper;
  Process p({privbindPath(), "--mode=broker", "-v", "-u", "nobody", "--", app, "helper-dies",
             str(port), dir / "go"});
  pid_t helper = ownHelper(p, reaper);
  REQUIRE_MESSAGE(eventually([&] { return hasLine(p, "first"); }, 10s), p.err());
  REQUIRE(line(p.out(), "first") == "first ok");

  REQUIRE(::kill(helper, SIGKILL) == 0);
  REQUIRE(eventually([&] { return Subreaper::reaped(helper); }, 2s));
  touch(dir / "go");

  // Exit 0, not 128 + SIGPIPE: the app survived talking to a dead helper.
  auto st = p.wait(5s);
  REQUIRE_MESSAGE(st, "the app hung after the helper died");
  CHECK_MESSAGE(*st == 0, (p.out() + p.err()));
  std::istringstream second(line(p.out(), "second"));
  std::string word, err;
  long ms = -1;
  second >> word >> err >> ms;
  CHECK_MESSAGE(err == "EACCES", p.out());
  CHECK(ms >= 0);
  CHECK(ms < 1000);
}

TEST_CASE("the app SIGKILLed: the helper is gone within a second") {
  TempDir dir;
  std::string app = faultsApp(dir);
  uint16_t port = freeReservedPort();
  Subreaper reaper;
  Process p({privbindPath(), "--mode=broker", "-v", "-u", "nobody", "--", app, "hold", str(port)});
  pid_t helper = ownHelper(p, reaper);
  REQUIRE_MESSAGE(eventually([&] { return hasLine(p, "bound"); }, 10s), (p.out() + p.err()));
  p.kill(SIGKILL);
  REQUIRE(p.wait(5s));
  // waitpid succeeds only once the helper has exited: it did not linger and, reaped here, it
  // is no zombie either.
  CHECK(eventually([&] { return Subreaper::reaped(helper); }, 1s));
  CHECK(procState(helper) == 0);
}

TEST_CASE("the app as PID 1 of its own pid namespace, SIGKILLed: no helper, no zombie") {
  TempDir dir;
  std::string app = faultsApp(dir);
  uint16_t port = freeReservedPort();
  // unshare forks; its child is PID 1 of the new namespace and execs privbind, which execs the
  // app in place: the app is PID 1, and the helper's parent after the double fork.
  Process p({"unshare", "--pid", "--fork", privbindPath(), "--mode=broker", "-v", "-u", "nobody",
             "--", app, "hold", str(port)});
  REQUIRE_MESSAGE(eventually([&] { return hasLine(p, "bound"); }, 10s), (p.out() + p.err()));
  pid_t pid1 = firstChild(p.pid());
  REQUIRE(pid1 > 0);
  pid_t helper = -1;
  REQUIRE(eventually([&] { return (helper = firstChild(pid1)) > 0; }, 5s));
  pid_t parent = -1;
  REQUIRE(procState(helper, &parent) != 0);
  REQUIRE(parent == pid1);
  CHECK(status(helper).capEff == kNetBind);  // it is the helper, and it holds one capability
  // The test started unshare, so pid1 is its own descendant.
  REQUIRE(::kill(pid1, SIGKILL) == 0);
  REQUIRE(p.wait(5s));
  // No entry at all: neither running nor a zombie.
  CHECK(eventually([&] { return procState(helper) == 0; }, 1s));
}

TEST_CASE("10,000 sequential brokered binds: all correct, helper descriptors and memory flat") {
  loadRun({"seq", "10000", str(freeReservedPort())}, 10000);
}

TEST_CASE("64 threads x 100 concurrent brokered binds: all correct, helper flat") {
  loadRun({"conc", "64", "100", str(freeReservedPort())}, 6400);
}

TEST_CASE("ulimit -n 64: broker and caps mode both work") {
  TempDir dir;
  std::string app = faultsApp(dir);
  touch(dir / "go1");
  touch(dir / "go2");
  uint16_t port = freeReservedPort();
  RunResult broker =
      sh("ulimit -n 64 && exec " + privbindPath() + " -m broker -u nobody -- " + app +
             " seq 1000 " + str(port) + " " + (dir / "go1") + " " + (dir / "go2"),
         120s);
  CHECK_MESSAGE(broker.status == 0, (broker.out + broker.err));
  CHECK(line(broker.out, "done") == "done 1000");
  RunResult caps = sh("ulimit -n 64 && exec " + privbindPath() + " -m caps -u nobody -- " + app +
                      " groups " + str(port));
  CHECK_MESSAGE(caps.status == 0, (caps.out + caps.err));
  CHECK(line(caps.out, "bind") == "bind ok");
}

TEST_CASE("a user in more than 64 supplementary groups: broker and caps mode both work") {
  TestUser user(70);
  TempDir dir;
  std::string app = faultsApp(dir);
  uint16_t port = freeReservedPort();
  for (const char* mode : {"broker", "caps"}) {
    CAPTURE(mode);
    RunResult r =
        run({privbindPath(), "-m", mode, "-u", user.name(), "--", app, "groups", str(port)});
    CHECK_MESSAGE(r.status == 0, (r.out + r.err));
    std::istringstream g(line(r.out, "groups"));
    std::string word;
    int n = 0;
    g >> word >> n;
    CHECK_MESSAGE(n >= 71, r.out);  // 70 extra groups and the primary group
    CHECK(line(r.out, "bind") == "bind ok");
  }
}

}  // TEST_SUITE("faults")
