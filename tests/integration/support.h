// Helpers for integration tests: real processes, real sockets, state read back from the kernel.
// Only loopback addresses; only processes the test started are ever signalled, by pid.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/proc_status.h"

namespace testsupport {

using namespace std::chrono_literals;

// Paths baked in by CMake.
std::string privbindPath();  // build/privbind
std::string shimPath();      // build/libprivbind-shim.so
std::string sourceDir();     // the tests/integration directory
std::string python();        // a python3 any user can run (/usr/bin/python3)

struct RunResult {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
  bool timedOut = false;
};

// Runs argv to completion (killing it, by pid, after timeout) and collects its output.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s,
              const std::string& input = "");
// Like run(), but stderr goes through a pipe that is read to its end (as `2>&1 | cat` would):
// it returns once every process holding the pipe has let go of it, so what privbind's other
// processes write there is in err, and one that keeps it shows as a timeout. The status is
// argv's own.
RunResult runPipedStderr(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = 30s);
// Runs through /bin/sh -c.
RunResult sh(const std::string& script, std::chrono::milliseconds timeout = 30s);

// A process started in the background; output goes to files read with out()/err().
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv,
                   const std::vector<std::string>& extraEnv = {});
  ~Process();  // kills (by pid) and reaps if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Waits for exit; returns the status like RunResult::status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = 30s);
  void kill(int sig = 9);  // only this pid
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::string outPath_, errPath_;
};

// Creates a fresh directory under /tmp (mode 0755) that is removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Why this host cannot run cgroup mode, asked the way a user would ask: privbind refuses with
// 125 and "privbind: cgroup mode: <why>". nullopt when it can. Any other outcome is privbind's
// failure, not the host's: the tests then run and fail.
std::optional<std::string> cgroupModeUnavailable();
// The modes that launch a command: caps, broker, and cgroup where this host can run it.
std::vector<std::string> launchModes();

// A directory whose every ancestor is owned by root and writable by nobody else (under /run),
// mode 0755, removed with everything in it.
class RootOnlyDir {
 public:
  RootOnlyDir() {
    char tmpl[] = "/run/privbind-test.XXXXXX";
    if (mkdtemp(tmpl)) {
      path_ = tmpl;
      chmod(tmpl, 0755);
    }
  }
  ~RootOnlyDir() {
    if (!path_.empty()) run({"rm", "-rf", "--", path_});
  }
  RootOnlyDir(const RootOnlyDir&) = delete;
  RootOnlyDir& operator=(const RootOnlyDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Standing grants as a test found them, put back when it ends: /etc/privbind/grants.conf (and
// the directory), /run/privbind, whether the programs were attached, and whether bpffs was
// mounted. The test starts from an empty policy with nothing attached.
class StandingGrantsAsFound {
 public:
  StandingGrantsAsFound();
  ~StandingGrantsAsFound();
  StandingGrantsAsFound(const StandingGrantsAsFound&) = delete;
  StandingGrantsAsFound& operator=(const StandingGrantsAsFound&) = delete;

 private:
  bool hadFile_ = false, hadPins_ = false, hadDir_ = false, hadRunDir_ = false, hadBpffs_ = false;
  std::string saved_;
};

// cgroup mode's pinned program sets (/sys/fs/bpf/privbind/launch-*) as a test found them: moved
// aside into a bpffs directory of the test's own at the start, so that the test starts with none,
// and put back at the end after every launch-* entry the test's launches made is removed. The
// pin directory and bpffs itself go again when they were not there.
class LaunchSetsAsFound {
 public:
  LaunchSetsAsFound();
  ~LaunchSetsAsFound();
  LaunchSetsAsFound(const LaunchSetsAsFound&) = delete;
  LaunchSetsAsFound& operator=(const LaunchSetsAsFound&) = delete;

 private:
  bool hadBpffs_ = false, hadPinDir_ = false;
  std::string aside_;
  std::vector<std::string> moved_;
};
// The launch-* entries of /sys/fs/bpf/privbind, sorted: sets, and sets being pinned.
std::vector<std::string> launchSetEntries();

// A system user created for one test, with its own primary group and extraGroups more
// supplementary groups; the destructor removes the user and every group it created.
class TestUser {
 public:
  explicit TestUser(int extraGroups = 0);
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;
  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

 private:
  std::string name_;
  std::vector<std::string> groups_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// A reserved port that is free right now on 127.0.0.1 and ::1, TCP and UDP, chosen at random in
// 600..999 so that parallel tests do not collide.
uint16_t freeReservedPort();
// Polls until something accepts TCP connections on host:port (host "127.0.0.1" or "::1").
bool waitForTcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout = 15s);
// A real HTTP/1.0 GET over loopback; returns the whole response, or "" on failure.
std::string httpGet(const std::string& host, uint16_t port, const std::string& path = "/");
// Connects, reads until EOF or 5 s, returns what was read.
std::string tcpRead(const std::string& host, uint16_t port);
// Sends one UDP datagram to host:port and returns the answer, or "" after 5 s.
std::string udpAsk(const std::string& host, uint16_t port);

// Compiles a C file of tests/integration/programs with cc; returns the binary's path in dir.
std::string buildC(const std::string& source, const std::string& dir,
                   const std::vector<std::string>& flags = {});
// Builds a Go file of tests/integration/programs as a static binary (CGO_ENABLED=0: its own
// system calls, no libc), with its caches in dir; returns the binary's path, dir/out.
std::string buildGo(const std::string& source, const std::string& dir, const std::string& out);
// programs/cgroup_binds.c, built once per run into a directory removed at exit (programDir()).
const std::string& programDir();
const std::string& bindsProgram();

// A pid the test learned from a pid file (a daemon's) and must kill at the end, only if it is
// still the program the test started.
struct KillAtEnd {
  pid_t pid = -1;
  std::string program;
  ~KillAtEnd();
};

// The kernel's view of a running process.
privbind::proc::Status status(pid_t pid);
// Pid of the first child of parent (from /proc/PID/task/PID/children), or -1.
pid_t firstChild(pid_t parent);
// Number of open descriptors of pid (entries of /proc/PID/fd).
int fdCount(pid_t pid);
// Pids whose /proc/PID/cmdline starts with argv0 and whose parent chain does not matter.
std::vector<pid_t> pidsOf(const std::string& comm);

// Polls predicate every 10 ms until it is true or timeout passes.
template <class F>
bool eventually(F&& predicate, std::chrono::milliseconds timeout = 5s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  do {
    if (predicate()) return true;
    struct timespec ts {
      0, 10'000'000
    };
    nanosleep(&ts, nullptr);
  } while (std::chrono::steady_clock::now() < end);
  return predicate();
}

// The full credential state a test expects of a process: all four uids and gids, the group list
// (order does not matter), the five capability sets and NoNewPrivs.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  uint64_t inh = 0, prm = 0, eff = 0, amb = 0, bnd = 0;
  int noNewPrivs = 1;
};
// Reads /proc/PID/status and CHECKs every field of want against it.
void expectCredentials(pid_t pid, const Credentials& want);

// The securebits privbind leaves locked in every process it drops (capabilities(7)):
// SECBIT_NOROOT and SECBIT_NO_SETUID_FIXUP on, SECBIT_KEEP_CAPS off, SECBIT_NO_CAP_AMBIENT_RAISE
// on unless the command gets an ambient capability, each with its lock. Written out from
// <linux/securebits.h> here, not taken from privbind.
unsigned lockedSecureBits(bool ambient);
// Runs privbind with args, `--` and a command that prints its own securebits (prctl(2)
// PR_GET_SECUREBITS through python's ctypes: /proc/PID/status has no line for them), and CHECKs
// that it ran and printed exactly lockedSecureBits(ambient). The control: the same command run
// by the test itself prints root's unlocked 0.
void expectLockedSecureBits(const std::vector<std::string>& args, bool ambient);

// A real skip: the test case is counted and listed as skipped at the end of the run (not as a
// pass), with the reason. Use SKIP_TEST, which also leaves the test case.
void recordSkip(const std::string& reason);
#define SKIP_TEST(reason)              \
  do {                                 \
    ::testsupport::recordSkip(reason); \
    return;                            \
  } while (0)

inline constexpr uint64_t kNetBind = uint64_t{1} << 10;  // CAP_NET_BIND_SERVICE
inline constexpr uid_t kNobody = 65534;

}  // namespace testsupport
