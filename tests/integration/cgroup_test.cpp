// Cgroup mode, end to end: the command runs with no capability at all inside a cgroup of its
// own, and the kernel lets it bind reserved ports because of the BPF programs attached there.
// Everything is read back from the kernel: /proc/PID/status, /proc/PID/cgroup, the cgroup tree,
// `bpftool cgroup show`, and real clients on 127.0.0.1 and ::1.
//
// Every case skips, with privbind's own reason, on a host where `privbind --mode=cgroup` refuses
// to run (no cgroup v2, no BPF rights, an old kernel).
#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support.h"

using namespace testsupport;

namespace {

std::string str(long v) { return std::to_string(v); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The cgroup2 mount point, from /proc/self/mountinfo: field 5 is the mount point, the filesystem
// type follows the " - " separator (proc(5)). On hybrid hosts it is not /sys/fs/cgroup.
std::string cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos || line.compare(sep + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, sep));
    std::string f, mountPoint;
    for (int i = 0; i < 5 && fields >> f; ++i) mountPoint = f;
    return mountPoint;
  }
  return "";
}

// The cgroup v2 path in text shaped like /proc/PID/cgroup: the "0::" line, e.g. "/x/y".
std::string v2PathIn(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("0::")) return line.substr(3);
  return "";
}

// The cgroup v2 path of pid, "" once it is gone.
std::string cgroupOf(pid_t pid) { return v2PathIn(slurp("/proc/" + str(pid) + "/cgroup")); }

// The directory of a cgroup v2 path in the mounted tree.
std::string cgroupDir(const std::string& path) {
  return cgroup2Mount() + (path == "/" ? "" : path);
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The program pid runs (/proc/PID/exe).
std::string exeOf(pid_t pid) {
  char buf[4096];
  ssize_t n = readlink(("/proc/" + str(pid) + "/exe").c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Writes pid into the cgroup directory dir (cgroup.procs); whether the kernel took it.
bool moveInto(const std::string& dir, pid_t pid) {
  std::ofstream procs(dir + "/cgroup.procs");
  procs << pid << std::endl;
  return procs.good();
}

// The subdirectories of dir, with their owners.
std::vector<std::pair<std::string, uid_t>> subdirectories(const std::string& dir) {
  std::vector<std::pair<std::string, uid_t>> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    struct stat st {};
    if (name == "." || name == ".." || lstat((dir + "/" + name).c_str(), &st) != 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    out.emplace_back(name, st.st_uid);
  }
  closedir(d);
  return out;
}

// Each cgroup test runs in a parent cgroup of its own, made for it and removed after it. The test
// process moves itself in, so that every privbind it starts makes its cgroup there; no other
// run's clean-up (another suite's, another privbind's on this host) can then remove what the test
// expects to be gone, and "nothing left behind" is this test's own finding: at the end, no
// directory of root's (privbind makes its cgroups as root) may be left in it, after a wait longer
// than the watcher's own fallback poll (1 s).
class PrivateParent {
 public:
  PrivateParent() {
    home_ = cgroupOf(getpid());
    static int count = 0;
    path_ = (home_ == "/" ? "" : home_) + "/pbt-cgroup-" + str(getpid()) + "-" + str(++count);
    dir_ = cgroupDir(path_);
    if (mkdir(dir_.c_str(), 0755) != 0) throw std::runtime_error("mkdir " + dir_);
    if (!moveInto(dir_, getpid())) throw std::runtime_error("cannot move into " + dir_);
  }
  ~PrivateParent() {
    moveInto(cgroupDir(home_), getpid());
    auto rootsLeft = [&] {
      std::string left;
      for (const auto& [name, uid] : subdirectories(dir_))
        if (uid == 0) left += " " + name;
      return left;
    };
    std::string left;
    CHECK_MESSAGE(eventually([&] { return (left = rootsLeft()).empty(); }, 3s), "left behind in ",
                  dir_, ":", left);
    // Whatever is left (a parent owner's directories, privbind's after a failure) goes with it.
    for (const auto& [name, uid] : subdirectories(dir_)) rmdir((dir_ + "/" + name).c_str());
    if (!eventually([&] { return rmdir(dir_.c_str()) == 0; }, 3s))
      MESSAGE("could not remove ", dir_);
  }
  PrivateParent(const PrivateParent&) = delete;
  PrivateParent& operator=(const PrivateParent&) = delete;

  const std::string& path() const { return path_; }  // in the cgroup v2 hierarchy
  const std::string& dir() const { return dir_; }    // in the mounted tree

  // Delegates it to user, as a service manager delegates a subtree (cgroup-v2.rst, "Delegation
  // Model"): the directory and its cgroup.procs, cgroup.threads and cgroup.subtree_control
  // become theirs.
  void delegateTo(const TestUser& user) {
    for (std::string f : {"", "/cgroup.procs", "/cgroup.threads", "/cgroup.subtree_control"})
      if (chown((dir_ + f).c_str(), user.uid(), user.gid()) != 0)
        throw std::runtime_error("chown " + dir_ + f);
  }

 private:
  std::string home_, path_, dir_;
};

#define REQUIRE_CGROUP_MODE()                                  \
  do {                                                         \
    if (auto why_ = cgroupModeUnavailable()) SKIP_TEST(*why_); \
  } while (0);                                                 \
  PrivateParent privateParent

// privbind --mode=cgroup -u nobody OPTIONS -- REST
std::vector<std::string> cg(const std::vector<std::string>& options,
                            const std::vector<std::string>& rest) {
  std::vector<std::string> argv = {privbindPath(), "--mode=cgroup", "-u", "nobody"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

const std::string& serverProgram() {
  static const std::string path = buildC("bind_server.c", programDir());
  return path;
}
const std::string& swapProgram() {
  static const std::string path = buildC("cgroup_swap.c", programDir());
  return path;
}
const std::string& staticServerProgram() {
  static const std::string path = buildC("bind_server.c", programDir(), {"-static"});
  return path;
}

// What cgroup mode promises of every process of the command: nobody's ids and group, no
// capability in any set (bounding set included), NoNewPrivs 1.
void expectNoPrivilege(pid_t pid) {
  expectCredentials(pid, Credentials{.uid = kNobody, .gid = 65534, .groups = {65534}});
}

// pid is in a cgroup that privbind created directly below own (the test's own cgroup unless it
// started privbind elsewhere: privbind's cgroup when it started), and that cgroup carries the
// bind programs: bind4 and bind6, and post_bind4 and post_bind6 exactly when privbind was given
// -n (withBindLimit; they count for -n alone). Returns the cgroup's directory.
std::string expectPrivbindCgroup(pid_t pid, std::string own = "", bool withBindLimit = false) {
  if (own.empty()) own = cgroupOf(getpid());
  const std::string path = cgroupOf(pid);
  CAPTURE(own);
  CAPTURE(path);
  const std::string parent = path.substr(0, path.rfind('/'));
  CHECK((parent.empty() ? "/" : parent) == own);
  CHECK(path.substr(path.rfind('/') + 1).starts_with("privbind"));
  const std::string dir = cgroupDir(path);
  CHECK(exists(dir + "/cgroup.procs"));
  RunResult shown = run({"bpftool", "cgroup", "show", dir});
  CHECK_MESSAGE(shown.status == 0, shown.err);
  for (const char* type : {" bind4 ", " bind6 "})
    CHECK_MESSAGE(shown.out.find(type) != std::string::npos, type, shown.out);
  for (const char* type : {" post_bind4 ", " post_bind6 "})
    CHECK_MESSAGE((shown.out.find(type) != std::string::npos) == withBindLimit, type, shown.out);
  return dir;
}

// The cgroup directory disappears (the promise is within a second of the last process's exit;
// the wait is longer than the watcher's own fallback poll of 1 s, so that a missed POLLPRI does
// not fail the test, and a watcher that never removes it does).
void expectRemoved(const std::string& dir) {
  const std::string left = dir + " is still there";
  CHECK_MESSAGE(eventually([&] { return !exists(dir); }, 3s), left);
  // A test leaves nothing behind, even when privbind did: an empty cgroup can be removed.
  if (exists(dir)) rmdir(dir.c_str());
}

// "... (held by watcher pid N)" in privbind's -v line, or -1.
pid_t watcherPidIn(const std::string& err) {
  const std::string key = "held by watcher pid ";
  auto at = err.find(key);
  return at == std::string::npos ? -1 : static_cast<pid_t>(std::stol(err.substr(at + key.size())));
}

// The state letter of /proc/PID/stat (proc(5)), or 0 once there is none.
char stateOf(pid_t pid) {
  std::string stat = slurp("/proc/" + str(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? 0 : stat[close + 2];
}

// Exited: no /proc entry, or a zombie.
bool gone(pid_t pid) {
  char state = stateOf(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

// The negative control: nobody, outside privbind, is refused the same reserved port. Without it
// a passing bind would prove nothing about privbind.
void expectRefusedOutside(uint16_t port) {
  RunResult r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                     bindsProgram(), "seq", "tcp4:" + str(port)});
  CHECK_MESSAGE(r.out == "tcp4:" + str(port) + " EACCES\n", r.err);
}

// Runs the command under privbind until it printed its cgroup (the first line that is one).
std::string cgroupPrinted(Process& p) {
  std::string path;
  eventually([&] { return !(path = v2PathIn(p.out())).empty(); }, 10s);
  return path;
}

// A listener the test itself holds on 127.0.0.1:port, to make the port taken.
struct HeldPort {
  int fd = -1;
  explicit HeldPort(uint16_t port) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0) {
      close(fd);
      fd = -1;
    }
  }
  ~HeldPort() {
    if (fd >= 0) close(fd);
  }
};

// Wrappers that start privbind without the capabilities BPF needs: loading (CAP_BPF, or
// CAP_SYS_ADMIN) and attaching to a cgroup (CAP_NET_ADMIN). Dropped from the bounding set, so
// root's exec of privbind does not get them back.
std::vector<std::vector<std::string>> withoutBpfRights() {
  return {{"capsh", "--drop=cap_sys_admin,cap_bpf,cap_net_admin", "--", "-c", "exec \"$0\" \"$@\""},
          {"setpriv", "--bounding-set", "-sys_admin,-bpf,-net_admin", "--"}};
}

// A private mount namespace in which the cgroup2 mount is read-only. remount,bind changes only
// this namespace's mount flags; a plain remount,ro would change the shared superblock and make
// the cgroup tree read-only for the whole host.
std::vector<std::string> withReadOnlyCgroupTree() {
  return {"unshare",
          "--mount",
          "--propagation",
          "private",
          "--",
          "/bin/sh",
          "-c",
          "mount -o remount,bind,ro \"$0\" && exec \"$@\"",
          cgroup2Mount()};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_SUITE("cgroup") {
TEST_CASE("the command's securebits are locked") {
  REQUIRE_CGROUP_MODE();
  expectLockedSecureBits({"--mode=cgroup", "-u", "nobody"}, false);
}

TEST_CASE("the command: same pid, no capability, NoNewPrivs, nobody, in privbind's cgroup") {
  REQUIRE_CGROUP_MODE();
  uint16_t port = freeReservedPort();
  Process p(cg({}, {serverProgram(), "-c", "1", str(port)}));
  REQUIRE_MESSAGE(eventually([&] { return p.out() == "bound " + str(port) + "\n"; }, 10s), p.out(),
                  p.err());
  CHECK(exeOf(p.pid()) == serverProgram());
  expectNoPrivilege(p.pid());
  std::string dir = expectPrivbindCgroup(p.pid());
  // The process started is the process that serves: exec in place.
  CHECK(tcpRead("127.0.0.1", port) == "uid=65534 euid=65534 pid=" + str(p.pid()) + "\n");
  CHECK(p.wait() == 0);
  expectRemoved(dir);
  expectRefusedOutside(port);
}

TEST_CASE("a Go server (CGO_ENABLED=0, its own bind system call) reached by a real client") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  std::string bin = buildGo("cgroup_server.go", dir.path(), "server");
  CHECK(run({"file", bin}).out.find("statically linked") != std::string::npos);
  uint16_t port = freeReservedPort();
  // The control: the same binary as nobody, without privbind, is refused.
  RunResult refused =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, str(port)});
  CHECK(refused.status == 3);
  CHECK(refused.out.find("permission denied") != std::string::npos);

  Process server(cg({}, {bin, str(port)}));
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), server.out(), server.err());
  CHECK(tcpRead("127.0.0.1", port) == "go uid=65534 pid=" + str(server.pid()) + "\n");
  expectNoPrivilege(server.pid());
  std::string cgdir = expectPrivbindCgroup(server.pid());
  server.kill(SIGTERM);
  REQUIRE(server.wait().has_value());
  expectRemoved(cgdir);
}

TEST_CASE("a static C binary, and a #!/bin/sh script that execs it") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  const std::string& bin = staticServerProgram();
  CHECK(run({"file", bin}).out.find("statically linked") != std::string::npos);
  uint16_t scriptPort = freeReservedPort();
  {
    std::ofstream(dir / "start.sh") << "#!/bin/sh\nexec " << bin << " -c 1 " << scriptPort << "\n";
  }
  chmod((dir / "start.sh").c_str(), 0755);
  for (bool script : {false, true}) {
    CAPTURE(script);
    uint16_t port = script ? scriptPort : freeReservedPort();
    Process p(cg({}, script ? std::vector<std::string>{dir / "start.sh"}
                            : std::vector<std::string>{bin, "-c", "1", str(port)}));
    REQUIRE_MESSAGE(eventually([&] { return p.out() == "bound " + str(port) + "\n"; }, 10s),
                    p.out(), p.err());
    expectNoPrivilege(p.pid());
    expectPrivbindCgroup(p.pid());
    // The script exec'd the server: still the pid privbind started.
    CHECK(tcpRead("127.0.0.1", port) == "uid=65534 euid=65534 pid=" + str(p.pid()) + "\n");
    CHECK(p.wait() == 0);
    expectRefusedOutside(port);
  }
}

TEST_CASE("python3 -m http.server serves a page") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  { std::ofstream(dir / "index.html") << "hello from cgroup mode\n"; }
  uint16_t port = freeReservedPort();
  Process server(cg({}, {python(), "-m", "http.server", str(port), "--bind", "127.0.0.1",
                         "--directory", dir.path()}));
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), server.err());
  std::string page = httpGet("127.0.0.1", port, "/index.html");
  CHECK(page.find("200 OK") != std::string::npos);
  CHECK(page.find("hello from cgroup mode") != std::string::npos);
  expectNoPrivilege(server.pid());
  std::string cgdir = expectPrivbindCgroup(server.pid());
  server.kill(SIGTERM);
  REQUIRE(server.wait().has_value());
  expectRemoved(cgdir);
}

TEST_CASE("Java on the dual-stack wildcard [::], reached over 127.0.0.1 and ::1") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  RunResult javac =
      run({"javac", "-d", dir.path(), sourceDir() + "/programs/CgroupServer.java"}, 120s);
  REQUIRE_MESSAGE(javac.status == 0, javac.err);
  // [::] is every address: a fresh network namespace has only lo, so nothing leaves loopback.
  uint16_t port = freeReservedPort();
  Process server(std::vector<std::string>{"unshare", "--net", "--", "/bin/sh", "-c",
                                          "ip link set lo up && exec \"$@\"", "sh"} +
                 cg({}, {"java", "-cp", dir.path(), "CgroupServer", str(port)}));
  REQUIRE_MESSAGE(eventually([&] { return server.out().find("bound") != std::string::npos; }, 60s),
                  server.err());
  // The kernel's view: one AF_INET6 socket listening (state 0A) on [::]:port.
  char wildcard[64];
  snprintf(wildcard, sizeof wildcard, "00000000000000000000000000000000:%04X 0", port);
  std::istringstream tcp6(slurp("/proc/" + str(server.pid()) + "/net/tcp6"));
  bool listening = false;
  for (std::string line; std::getline(tcp6, line);)
    if (line.find(wildcard) != std::string::npos && line.find(" 0A ") != std::string::npos)
      listening = true;
  CHECK(listening);
  expectNoPrivilege(server.pid());
  expectPrivbindCgroup(server.pid());
  std::string ns = "--net=/proc/" + str(server.pid()) + "/ns/net";
  for (std::string host : {"127.0.0.1", "::1"}) {
    RunResult client = run({"nsenter", ns, "--", python(), "-c",
                            "import socket; s=socket.create_connection(('" + host + "'," +
                                str(port) + "), 5); print(s.recv(100).decode(), end='')"});
    CHECK_MESSAGE(client.out == "java uid=nobody\n", host, client.err);
  }
  server.kill(SIGTERM);
  CHECK(server.wait(30s).has_value());
}

TEST_CASE("IPv6 and UDP: TCP on ::1, UDP on 127.0.0.1 and ::1, each reached by a client") {
  REQUIRE_CGROUP_MODE();
  struct Case {
    std::string host, flag;
    bool udp;
  };
  for (const Case& c :
       {Case{"::1", "-6", false}, Case{"127.0.0.1", "-4", true}, Case{"::1", "-6", true}}) {
    CAPTURE(c.host);
    CAPTURE(c.udp);
    uint16_t port = freeReservedPort();
    std::vector<std::string> args = {serverProgram(), c.flag, "-c", "1", str(port)};
    if (c.udp) args.insert(args.begin() + 2, "-U");
    Process p(cg({}, args));
    REQUIRE_MESSAGE(eventually([&] { return p.out() == "bound " + str(port) + "\n"; }, 10s),
                    p.out(), p.err());
    expectNoPrivilege(p.pid());
    std::string answer = c.udp ? udpAsk(c.host, port) : tcpRead(c.host, port);
    CHECK(answer == "uid=65534 euid=65534 pid=" + str(p.pid()) + "\n");
    CHECK(p.wait() == 0);
  }
  // The control, for every family and type: nobody outside privbind is refused.
  uint16_t port = freeReservedPort();
  RunResult r =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", bindsProgram(),
           "seq", "tcp6:" + str(port), "udp4:" + str(port), "udp6:" + str(port)});
  CHECK(r.out == "tcp6:" + str(port) + " EACCES\nudp4:" + str(port) + " EACCES\nudp6:" + str(port) +
                     " EACCES\n");
}

TEST_CASE("64 threads bind privileged ports at once") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  std::string prog = buildC("broker_many.c", dir.path());
  uint16_t port = freeReservedPort();
  // Each thread binds 127.0.0.(i+1):port, checks getsockname, and expects EADDRINUSE on a second
  // bind of the same address.
  RunResult r = run(cg({}, {prog, "-t", "64", str(port)}), 60s);
  CHECK_MESSAGE(r.status == 0, r.out, r.err);
  CHECK(r.out.find("done 64/64\n") != std::string::npos);
  expectRefusedOutside(port);
}

TEST_CASE("forked children bind") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  std::string prog = buildC("broker_many.c", dir.path());
  uint16_t port = freeReservedPort();
  RunResult r = run(cg({}, {prog, "-f", "8", str(port)}), 60s);
  CHECK_MESSAGE(r.status == 0, r.out, r.err);
  CHECK(r.out.find("done 8/8\n") != std::string::npos);
}

TEST_CASE("a daemon that double-forks, closes every descriptor and binds after its parent exited") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  chmod(dir.path().c_str(), 0777);  // the daemon, as nobody, writes its pid file and report here
  std::string prog = buildC("daemon.c", dir.path());
  uint16_t port = freeReservedPort();
  Process p(cg({}, {prog, "all", str(port), dir / "report", dir / "pid"}));
  REQUIRE(p.wait(10s) == 0);  // the command privbind started has exited
  KillAtEnd daemon{.program = prog};
  REQUIRE(eventually([&] { return !slurp(dir / "pid").empty(); }, 10s));
  daemon.pid = static_cast<pid_t>(std::stol(slurp(dir / "pid")));
  REQUIRE_MESSAGE(eventually([&] { return !slurp(dir / "report").empty(); }, 10s), p.err());
  CHECK(slurp(dir / "report") == "bound " + str(port) + "\nlifeline -\n");
  CHECK(tcpRead("127.0.0.1", port) == "daemon uid=65534\n");
  expectNoPrivilege(daemon.pid);
  // The tree keeps the privilege, and the cgroup, for as long as it lives.
  std::string cgdir = expectPrivbindCgroup(daemon.pid);
  CHECK(fdCount(daemon.pid) == 4);  // 0..2 on /dev/null and the listener: nothing of privbind's
  ::kill(daemon.pid, SIGKILL);
  expectRemoved(cgdir);
}

TEST_CASE(
    "the watcher lets go of privbind's stderr when the command exits, not when the cgroup "
    "empties") {
  REQUIRE_CGROUP_MODE();
  // The command leaves a process behind that keeps the cgroup populated but not the stderr pipe.
  auto start = std::chrono::steady_clock::now();
  RunResult r = runPipedStderr(
      cg({}, {"/bin/sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!"}), 20s);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_MESSAGE(!r.out.empty(), r.err);
  KillAtEnd left{.pid = static_cast<pid_t>(std::stol(r.out)), .program = "sleep"};
  CHECK_FALSE(r.timedOut);
  CHECK(r.status == 0);
  CHECK(took < 10s);
  std::string cgdir = expectPrivbindCgroup(left.pid);  // still there, still watched
  ::kill(left.pid, SIGKILL);  // started by this test's command; its pid is the one it printed
  expectRemoved(cgdir);
}

TEST_CASE("-p: a port outside the list gets EACCES, a listed port and unprivileged ports work") {
  REQUIRE_CGROUP_MODE();
  uint16_t listed = freeReservedPort(), other = freeReservedPort();
  while (other == listed) other = freeReservedPort();
  RunResult r =
      run(cg({"-p", str(listed)}, {bindsProgram(), "seq", "tcp4:" + str(other),
                                   "tcp4:" + str(listed), "udp6:" + str(listed), "tcp4:0"}));
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out == "tcp4:" + str(other) + " EACCES\ntcp4:" + str(listed) +
                     " ok\nudp6:" + str(listed) + " ok\ntcp4:0 ok\n");
}

TEST_CASE("-n: exactly N of 8 racing threads succeed, the rest get EACCES") {
  REQUIRE_CGROUP_MODE();
  for (int n : {1, 3, 3, 3, 5}) {
    CAPTURE(n);
    uint16_t port = freeReservedPort();
    RunResult r = run(cg({"-n", str(n)}, {bindsProgram(), "race", "8", str(port)}));
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(r.out == "ok " + str(n) + " eacces " + str(8 - n) + " other 0\n");
  }
  // Used up: privileged binds are refused, unprivileged ones are not.
  uint16_t a = freeReservedPort(), b = freeReservedPort();
  RunResult r =
      run(cg({"-n", "1"}, {bindsProgram(), "seq", "tcp4:" + str(a), "tcp6:" + str(b), "tcp4:0"}));
  CHECK(r.out == "tcp4:" + str(a) + " ok\ntcp6:" + str(b) + " EACCES\ntcp4:0 ok\n");
}

TEST_CASE("-r: the program sets SO_REUSEPORT, so a port can be bound twice; without -r not") {
  REQUIRE_CGROUP_MODE();
  uint16_t port = freeReservedPort();
  const std::string tcp = "tcp4:" + str(port), udp = "udp6:" + str(port);
  RunResult shared = run(cg({"-r", str(port)}, {bindsProgram(), "seq", tcp, tcp, udp, udp}));
  if (shared.status == 125 && shared.err.starts_with("privbind: -r/--reuseport: "))
    SKIP_TEST(shared.err.substr(0, shared.err.find('\n')));
  CHECK_MESSAGE(shared.status == 0, shared.err);
  CHECK(shared.out == tcp + " ok\n" + tcp + " ok\n" + udp + " ok\n" + udp + " ok\n");
  // The control: the same binds without -r.
  RunResult alone = run(cg({}, {bindsProgram(), "seq", tcp, tcp, udp, udp}));
  CHECK(alone.out == tcp + " ok\n" + tcp + " EADDRINUSE\n" + udp + " ok\n" + udp + " EADDRINUSE\n");
}

TEST_CASE("post_bind4 and post_bind6 are loaded and linked only with -n") {
  REQUIRE_CGROUP_MODE();
  for (bool limit : {false, true}) {
    CAPTURE(limit);
    Process p(cg(limit ? std::vector<std::string>{"-n", "1"} : std::vector<std::string>{},
                 {"/bin/sh", "-c", "cat /proc/self/cgroup; exec sleep 60"}));
    std::string path = cgroupPrinted(p);
    REQUIRE(!path.empty());
    std::string dir = expectPrivbindCgroup(p.pid(), "", limit);
    p.kill();
    p.wait();
    expectRemoved(dir);
  }
}

TEST_CASE("EADDRINUSE stays EADDRINUSE, and does not use up -n") {
  REQUIRE_CGROUP_MODE();
  uint16_t port = freeReservedPort();
  HeldPort held(port);
  REQUIRE(held.fd >= 0);
  for (auto options : {std::vector<std::string>{}, std::vector<std::string>{"-n", "1"}}) {
    CAPTURE(options.size());
    RunResult r =
        run(cg(options, {bindsProgram(), "seq", "tcp4:" + str(port), "tcp6:" + str(port)}));
    CHECK(r.out == "tcp4:" + str(port) + " EADDRINUSE\ntcp6:" + str(port) + " ok\n");
  }
}

TEST_CASE("another uid placed into the cgroup gets EACCES; the target uid binds") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  const std::string go = dir / "go";
  uint16_t mine = freeReservedPort(), theirs = freeReservedPort(), joined = freeReservedPort();
  Process command(cg({}, {bindsProgram(), "-w", go, "seq", "tcp4:" + str(mine)}));
  REQUIRE(eventually([&] { return status(command.pid()).uid[0] == kNobody; }, 10s));
  std::string path = cgroupOf(command.pid());
  std::string cgdir = expectPrivbindCgroup(command.pid());
  // Two more processes, started outside: one of another uid, one of the target uid.
  auto as = [&](const std::string& uid, uint16_t port) {
    return std::vector<std::string>{"setpriv",
                                    "--reuid=" + uid,
                                    "--regid=" + uid,
                                    "--clear-groups",
                                    "--",
                                    bindsProgram(),
                                    "-w",
                                    go,
                                    "seq",
                                    "tcp4:" + str(port)};
  };
  Process stranger(as("4000000", theirs)), sameUser(as("65534", joined));
  for (Process* p : {&stranger, &sameUser}) {
    REQUIRE(eventually([&] { return status(p->pid()).uid[0] != 0; }, 10s));
    std::ofstream(cgdir + "/cgroup.procs") << p->pid() << std::endl;
    CHECK(cgroupOf(p->pid()) == path);
  }
  { std::ofstream(go) << "go\n"; }
  REQUIRE(command.wait() == 0);
  REQUIRE(stranger.wait() == 0);
  REQUIRE(sameUser.wait() == 0);
  CHECK(command.out() == "tcp4:" + str(mine) + " ok\n");
  CHECK(stranger.out() == "tcp4:" + str(theirs) + " EACCES\n");
  CHECK(sameUser.out() == "tcp4:" + str(joined) + " ok\n");
  expectRemoved(cgdir);
  expectRefusedOutside(joined);
}

TEST_CASE("nothing left in the cgroup tree after a normal exit") {
  REQUIRE_CGROUP_MODE();
  for (int i = 0; i < 3; ++i) {
    RunResult r = run(cg({}, {"cat", "/proc/self/cgroup"}));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    std::string path = v2PathIn(r.out);
    CHECK(path.substr(path.rfind('/') + 1).starts_with("privbind"));
    expectRemoved(cgroupDir(path));
  }
}

TEST_CASE("nothing left in the cgroup tree after SIGKILL of the command") {
  REQUIRE_CGROUP_MODE();
  Process p(cg({}, {"/bin/sh", "-c", "cat /proc/self/cgroup; exec sleep 60"}));
  std::string path = cgroupPrinted(p);
  REQUIRE(!path.empty());
  std::string dir = expectPrivbindCgroup(p.pid());
  CHECK(exists(dir));
  p.kill(SIGKILL);
  REQUIRE(p.wait(5s) == 128 + SIGKILL);
  expectRemoved(dir);
}

// unshare --pid --fork privbind --mode=cgroup -u nobody OPTIONS -- REST: privbind is process 1
// of a new pid namespace.
std::vector<std::string> asPid1(const std::vector<std::string>& options,
                                const std::vector<std::string>& rest) {
  return std::vector<std::string>{"unshare", "--pid", "--fork", "--"} + cg(options, rest);
}

// The pids in a cgroup (cgroup.procs, in the test's pid namespace).
std::vector<pid_t> procsOf(const std::string& dir) {
  std::istringstream in(slurp(dir + "/cgroup.procs"));
  std::vector<pid_t> pids;
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

// privbind as process 1 of its pid namespace: when process 1 exits, the kernel kills every
// other process of the namespace (pid_namespaces(7)), the watcher included. So privbind stays as
// init, unprivileged and outside the cgroup, and the command is its child.
TEST_CASE("PID 1 of a pid namespace: privbind stays as init, the command's status, nothing left") {
  REQUIRE_CGROUP_MODE();
  const std::string script = "cat /proc/self/cgroup; echo ppid=$PPID pid=$$; exit 7";
  RunResult r = run(asPid1({"-v"}, {"/bin/sh", "-c", script}));
  REQUIRE_MESSAGE(r.status == 7, r.err);
  // The one case where the command does not keep privbind's pid: it is init's child.
  CHECK(r.out.find("ppid=1 pid=") != std::string::npos);
  CHECK(r.out.find(" pid=1\n") == std::string::npos);
  std::string path = v2PathIn(r.out);
  CHECK(path.substr(path.rfind('/') + 1).starts_with("privbind"));
  // privbind exited only after the watcher had removed the cgroup.
  CHECK_MESSAGE(!exists(cgroupDir(path)), cgroupDir(path));
  expectRemoved(cgroupDir(path));
}

TEST_CASE(
    "PID 1 of a pid namespace: init unprivileged outside the cgroup; SIGKILL of the command") {
  REQUIRE_CGROUP_MODE();
  Process p(asPid1({}, {"/bin/sh", "-c", "cat /proc/self/cgroup; exec sleep 60"}));
  std::string path = cgroupPrinted(p);
  REQUIRE_MESSAGE(!path.empty(), p.err());
  // If the test stops half-way: SIGKILL of the namespace's init ends everything in it.
  KillAtEnd namespaceInit{firstChild(p.pid()), privbindPath()};
  // Once cat has exited and the shell has exec'd sleep, the command is the cgroup's one process.
  std::vector<pid_t> procs;
  REQUIRE(eventually([&] {
    procs = procsOf(cgroupDir(path));
    return procs.size() == 1 && exeOf(procs[0]).ends_with("sleep");
  }));
  KillAtEnd command{procs[0], "sleep"};
  expectNoPrivilege(command.pid);
  const std::string dir = expectPrivbindCgroup(command.pid);
  const pid_t init = namespaceInit.pid;
  REQUIRE(init > 0);
  CHECK(exeOf(init) == privbindPath());
  // Init: the command's uid and gid, no group, no capability, outside the cgroup.
  expectCredentials(init, Credentials{.uid = kNobody, .gid = 65534, .groups = {}});
  CHECK(cgroupOf(init) == cgroupOf(getpid()));
  REQUIRE(::kill(command.pid, SIGKILL) == 0);
  REQUIRE(p.wait(5s) == 128 + SIGKILL);
  expectRemoved(dir);
}

TEST_CASE("PID 1 of a pid namespace: a daemon of the command keeps the grant until it is killed") {
  REQUIRE_CGROUP_MODE();
  uint16_t port = freeReservedPort();
  // The command double-forks a daemon that binds only once the command has exited and been
  // reaped, then exits with 5.
  const std::string daemon = "while kill -0 $0 2>/dev/null; do sleep 0.05; done; exec " +
                             serverProgram() + " " + str(port);
  const std::string script = "cat /proc/self/cgroup; (setsid /bin/sh -c '" + daemon +
                             "' $$ </dev/null >/dev/null 2>&1 &); exit 5";
  Process p(asPid1({}, {"/bin/sh", "-c", script}));
  std::string path = cgroupPrinted(p);
  REQUIRE_MESSAGE(!path.empty(), p.err());
  KillAtEnd namespaceInit{firstChild(p.pid()), privbindPath()};
  const std::string dir = cgroupDir(path);
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), p.err());
  std::vector<pid_t> procs = procsOf(dir);
  REQUIRE(procs.size() == 1);  // the daemon alone: the command is gone
  KillAtEnd server{procs[0], serverProgram()};
  REQUIRE(exeOf(server.pid) == serverProgram());
  CHECK(tcpRead("127.0.0.1", port).starts_with("uid=65534 euid=65534 pid="));
  expectNoPrivilege(server.pid);
  // privbind waits for the watcher, which waits for the daemon.
  CHECK(!p.wait(300ms).has_value());
  CHECK(exists(dir));
  REQUIRE(::kill(server.pid, SIGKILL) == 0);
  REQUIRE(p.wait(5s) == 5);
  expectRemoved(dir);
  expectRefusedOutside(port);
}

TEST_CASE("the watcher: root without capabilities, seccomp, outside the cgroup, gone with it") {
  REQUIRE_CGROUP_MODE();
  Process p(cg({"-v"}, {"/bin/sh", "-c", "cat /proc/self/cgroup; exec sleep 60"}));
  std::string path = cgroupPrinted(p);
  REQUIRE(!path.empty());
  pid_t watcher = -1;
  REQUIRE_MESSAGE(eventually([&] { return (watcher = watcherPidIn(p.err())) > 0; }), p.err());
  std::string dir = expectPrivbindCgroup(p.pid());
  // uid 0 only for the permission bits of the parent directory; CAP_DAC_OVERRIDE only where
  // they do not let its owner remove entries.
  struct stat parent {};
  REQUIRE(stat(cgroupDir(cgroupOf(getpid())).c_str(), &parent) == 0);
  const uint64_t kept = (parent.st_uid == 0 && (parent.st_mode & S_IWUSR)) ? 0 : uint64_t{1} << 1;
  expectCredentials(watcher, Credentials{.uid = 0,
                                         .gid = 0,
                                         .groups = {},
                                         .inh = 0,
                                         .prm = kept,
                                         .eff = kept,
                                         .amb = 0,
                                         .bnd = kept});
  CHECK(slurp("/proc/" + str(watcher) + "/status").find("\nSeccomp:\t2\n") != std::string::npos);
  CHECK(cgroupOf(watcher) == cgroupOf(getpid()));
  CHECK(firstChild(p.pid()) != watcher);
  p.kill(SIGTERM);
  REQUIRE(p.wait().has_value());
  expectRemoved(dir);
  CHECK(eventually([&] { return gone(watcher); }, 3s));
}

TEST_CASE("a killed watcher ends the grant at once, and the next run removes its cgroup") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  const std::string go = dir / "go";
  uint16_t port = freeReservedPort();
  // Both runs start in a parent cgroup of this test's own: a run of another suite in ours would
  // remove the leftover too, and this test is about which run does.
  const std::string own = cgroupOf(getpid());
  const std::string parentPath = (own == "/" ? "" : own) + "/pbt-watcher-" + str(getpid());
  const std::string parent = cgroupDir(parentPath);
  REQUIRE(mkdir(parent.c_str(), 0755) == 0);
  struct RemoveParent {
    std::string path;
    ~RemoveParent() { rmdir(path.c_str()); }
  } removeParent{parent};
  auto inParent = [&](const std::vector<std::string>& argv) {
    std::vector<std::string> out = {"/bin/sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
                                    parent};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  };
  Process p(inParent(cg({"-v"}, {bindsProgram(), "-w", go, "seq", "tcp4:" + str(port)})));
  pid_t watcher = -1;
  REQUIRE_MESSAGE(eventually([&] { return (watcher = watcherPidIn(p.err())) > 0; }), p.err());
  REQUIRE(eventually([&] { return status(p.pid()).uid[0] == kNobody; }));
  std::string cgdir = expectPrivbindCgroup(p.pid(), parentPath);
  ::kill(watcher, SIGKILL);  // privbind started it; its pid is the one privbind printed
  REQUIRE(eventually([&] { return gone(watcher); }));
  { std::ofstream(go) << "go\n"; }
  REQUIRE(p.wait() == 0);
  // Its links held the programs: without it, the bind is the kernel's plain refusal.
  CHECK(p.out() == "tcp4:" + str(port) + " EACCES\n");
  CHECK(exists(cgdir));  // nobody left to remove it ...
  RunResult next = run(inParent(cg({"-v"}, {"true"})));
  CHECK_MESSAGE(next.status == 0, next.err);
  CHECK(next.err.find("removed " + cgdir) != std::string::npos);
  expectRemoved(cgdir);  // ... until the next run
  // The next run's own cgroup goes with it: the parent is empty again.
  CHECK(eventually([&] { return rmdir(parent.c_str()) == 0; }, 2s));
}

TEST_CASE("auto picks cgroup mode on this host; -l and --no-target-check make it broker") {
  REQUIRE_CGROUP_MODE();
  RunResult autoMode =
      run({privbindPath(), "-v", "-u", "nobody", "--", "cat", "/proc/self/cgroup"});
  REQUIRE_MESSAGE(autoMode.status == 0, autoMode.err);
  std::string path = v2PathIn(autoMode.out);
  CHECK(path.substr(path.rfind('/') + 1).starts_with("privbind"));
  CHECK_MESSAGE(autoMode.err.find("privbind: auto: cgroup mode, because this host loaded and "
                                  "linked the bind programs\n") != std::string::npos,
                autoMode.err);
  // -l takes a library whose every directory is root's and not writable by others; the build
  // tree may be anywhere (under /tmp, say), so a copy in such a directory.
  RootOnlyDir lib;
  REQUIRE(!lib.path().empty());
  REQUIRE(run({"cp", shimPath(), lib / "libprivbind-shim.so"}).status == 0);
  for (auto option : {std::vector<std::string>{"-l", lib / "libprivbind-shim.so"},
                      std::vector<std::string>{"--no-target-check"}}) {
    CAPTURE(option[0]);
    RunResult broker = run(std::vector<std::string>{privbindPath(), "-v", "-u", "nobody"} + option +
                           std::vector<std::string>{"--", "cat", "/proc/self/cgroup"});
    REQUIRE_MESSAGE(broker.status == 0, broker.err);
    CHECK(v2PathIn(broker.out) == cgroupOf(getpid()));
    CHECK_MESSAGE(broker.err.find("broker mode: helper pid") != std::string::npos, broker.err);
    RunResult refused = run(cg(option, {"true"}));
    CHECK(refused.status == 125);
    CHECK(refused.err.starts_with("privbind: "));
    CHECK(refused.err.find("Try 'privbind --help'") != std::string::npos);
  }
}

TEST_CASE("auto falls back to broker mode when BPF is refused; --mode=cgroup exits 125") {
  // The host must be able to do cgroup mode, or the fallback proves nothing.
  REQUIRE_CGROUP_MODE();
  for (const auto& wrapper : withoutBpfRights()) {
    CAPTURE(wrapper[0]);
    // A launch with the rights first, so that the programs are pinned: the runs without them
    // find a set they could open and link, and must not use it.
    RunResult pinning = run(cg({"-v"}, {"true"}));
    REQUIRE_MESSAGE(pinning.status == 0, pinning.err);
    const auto set = pinning.err.find("privbind: cgroup mode: programs: ");
    REQUIRE_MESSAGE(set != std::string::npos, pinning.err);
    CHECK_MESSAGE((pinning.err.compare(set + 33, 15, "the pinned set ") == 0 ||
                   pinning.err.compare(set + 33, 21, "loaded and pinned as ") == 0),
                  pinning.err);
    uint16_t port = freeReservedPort();
    RunResult fallback = run(
        wrapper + std::vector<std::string>{
                      privbindPath(), "-v", "-u", "nobody", "--", "/bin/sh", "-c",
                      "cat /proc/self/cgroup; exec \"$0\" seq tcp4:" + str(port), bindsProgram()});
    CHECK_MESSAGE(fallback.status == 0, fallback.err);
    CHECK(v2PathIn(fallback.out) == cgroupOf(getpid()));
    CHECK(fallback.out.find("tcp4:" + str(port) + " ok\n") != std::string::npos);
    CHECK_MESSAGE(fallback.err.find("broker mode: helper pid") != std::string::npos, fallback.err);
    CHECK_MESSAGE(
        fallback.err.starts_with("privbind: auto: broker mode, because cgroup mode is not "
                                 "available: "),
        fallback.err);
    RunResult refused = run(wrapper + cg({}, {"true"}));
    CHECK(refused.status == 125);
    CHECK_MESSAGE(refused.err.starts_with("privbind: cgroup mode: "), refused.err);
    CHECK(refused.err.find('\n') == refused.err.size() - 1);  // one line
  }
}

TEST_CASE("auto does not fall back after a final failure: a command that is not found") {
  REQUIRE_CGROUP_MODE();
  // The control: the host is usable, so cgroup mode got as far as the command.
  RunResult r = run({privbindPath(), "-v", "-u", "nobody", "--", "privbind-no-such-command"});
  CHECK(r.status == 127);
  CHECK_MESSAGE(r.err.starts_with("privbind: "), r.err);
  CHECK_MESSAGE(r.err.find("privbind-no-such-command") != std::string::npos, r.err);
  CHECK_MESSAGE(r.err.find("broker mode") == std::string::npos, r.err);
  // Where the host is not usable, the same command is not found by broker mode either, after
  // the fallback.
  for (const auto& wrapper : withoutBpfRights()) {
    CAPTURE(wrapper[0]);
    RunResult fallback =
        run(wrapper + std::vector<std::string>{privbindPath(), "-v", "-u", "nobody", "--",
                                               "privbind-no-such-command"});
    CHECK(fallback.status == 127);
    CHECK_MESSAGE(fallback.err.starts_with("privbind: auto: broker mode, because cgroup mode is "
                                           "not available: "),
                  fallback.err);
  }
}

TEST_CASE("auto falls back to broker mode when the cgroup tree is read-only") {
  REQUIRE_CGROUP_MODE();
  uint16_t port = freeReservedPort();
  RunResult fallback = run(withReadOnlyCgroupTree() +
                           std::vector<std::string>{privbindPath(), "-v", "-u", "nobody", "--",
                                                    bindsProgram(), "seq", "tcp4:" + str(port)});
  CHECK_MESSAGE(fallback.status == 0, fallback.err);
  CHECK(fallback.out == "tcp4:" + str(port) + " ok\n");
  CHECK_MESSAGE(fallback.err.find("broker mode: helper pid") != std::string::npos, fallback.err);
  RunResult refused = run(withReadOnlyCgroupTree() + cg({}, {"true"}));
  CHECK(refused.status == 125);
  CHECK_MESSAGE(refused.err.starts_with("privbind: cgroup mode: "), refused.err);
  // The read-only mount stayed in its own namespace.
  CHECK(access(cgroup2Mount().c_str(), W_OK) == 0);
  RunResult rw = run({"findmnt", "-n", "-o", "OPTIONS", cgroup2Mount()});
  CHECK(rw.out.starts_with("rw"));
}

// Issue: -n must hold when binds really run at the same time on different CPUs. A counter taken
// by read-then-write instead of an atomic add loses tens of updates in 200000 here (2 CPUs), so
// more binds than -n succeed; the atomic one never does.
TEST_CASE("-n is exact under processes pinned to every CPU, binding at once") {
  REQUIRE_CGROUP_MODE();
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    uint16_t port = freeReservedPort();
    RunResult r = run(cg({"-n", "200000"}, {bindsProgram(), "hammer", "4", str(port)}), 120s);
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(r.out == "ok 200000 eacces 4 other 0\n");
  }
}

// The owner of a delegated parent cgroup may remove the empty cgroup privbind made there and
// make its own under the same name. privbind must then refuse, never run the command in theirs.
TEST_CASE("a parent cgroup's owner racing privbind: the command runs in privbind's cgroup or not") {
  REQUIRE_CGROUP_MODE();
  TestUser owner;
  privateParent.delegateTo(owner);
  TempDir dir;
  const std::string stop = dir / "stop";
  const std::string who = "--reuid=" + str(owner.uid());
  Process racer({"setpriv", who, "--regid=" + str(owner.gid()), "--clear-groups", "--",
                 swapProgram(), privateParent.dir(), stop});
  REQUIRE(eventually([&] { return status(racer.pid()).uid[0] == owner.uid(); }, 10s));
  // The command says where it runs and who owns that directory.
  const std::string script =
      "cat /proc/self/cgroup; stat -c %u \"$0$(sed -n 's/^0:://p' /proc/self/cgroup)\"";
  int ran = 0, refused = 0;
  std::string firstRefusal;
  const auto end = std::chrono::steady_clock::now() + 60s;
  for (int i = 0; i < 200 && std::chrono::steady_clock::now() < end && refused < 20; ++i) {
    CAPTURE(i);
    RunResult r = run(cg({}, {"/bin/sh", "-c", script, cgroup2Mount()}));
    if (r.status == 0) {
      ++ran;
      const std::string path = v2PathIn(r.out);
      CHECK(path.substr(0, path.rfind('/')) == privateParent.path());
      CHECK_MESSAGE(r.out.ends_with("\n0\n"), "the command ran in a cgroup of uid ", r.out);
      continue;
    }
    if (refused++ == 0) firstRefusal = r.err;
    CHECK(r.status == 125);
    // One line, privbind's words, naming who could do it.
    CHECK_MESSAGE(r.err.starts_with("privbind: cgroup mode: "), r.err);
    CHECK_MESSAGE(r.err.find("owned by uid " + str(owner.uid())) != std::string::npos, r.err);
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK(r.out.empty());
  }
  { std::ofstream(stop) << "stop\n"; }
  REQUIRE(racer.wait(10s) == 0);
  MESSAGE("ran ", ran, ", refused ", refused, ", directories replaced by the racer: ", racer.out(),
          "first refusal: ", firstRefusal);
  // Without a hit the test proved nothing.
  CHECK_MESSAGE(refused > 0, "the racer never replaced privbind's cgroup in time");
}

// --- the command's process born in the cgroup ---------------------------------------------------
// Where privbind forks the command's process anyway (the terminal relay's child, pid 1's child),
// the child is made in privbind's cgroup by clone3(2) with CLONE_INTO_CGROUP: nothing moves it
// there, which would cost a write to cgroup.procs.

// Runs argv with fds 0-2 on the slave of a new pseudo-terminal, its controlling terminal in a
// session of its own (as from a root shell); out is what it wrote there, without the terminal's
// carriage returns, until it and everything holding the terminal ended.
RunResult runOnTerminal(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = 30s) {
  int master = -1;
  winsize ws{};
  ws.ws_row = 24;
  ws.ws_col = 80;
  pid_t pid = forkpty(&master, nullptr, nullptr, &ws);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  RunResult r;
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timedOut = true;
      ::kill(pid, SIGKILL);  // the process this test started, by pid
      break;
    }
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO: no slave open any more
    r.out.append(buf, static_cast<size_t>(n));
  }
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  close(master);
  r.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  std::erase(r.out, '\r');
  return r;
}

// strace -f of argv, the trace in file: the system calls that make processes and open files.
std::vector<std::string> straced(const std::string& file, const std::vector<std::string>& argv) {
  return std::vector<std::string>{
             "strace", "-f", "-qq", "-o", file, "-e", "trace=clone,clone3,fork,vfork,openat"} +
         argv;
}

// The lines of a trace that open a cgroup.procs for writing: a process moved into a cgroup.
std::string movesIn(const std::string& trace) {
  std::istringstream in(trace);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("cgroup.procs\"") != std::string::npos &&
        line.find("O_WRONLY") != std::string::npos)
      out += line + "\n";
  return out;
}

// The lines of a trace where clone3 made a process in a cgroup (and did not fail).
std::string bornIn(const std::string& trace) {
  std::istringstream in(trace);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("clone3({flags=CLONE_INTO_CGROUP") != std::string::npos &&
        line.find("= -1") == std::string::npos && line.find("resumed") == std::string::npos)
      out += line + "\n";
  return out;
}

// The "0::" paths of several /proc/PID/cgroup files printed one after another, in order.
std::vector<std::string> v2PathsIn(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("0::")) out.push_back(line.substr(3));
  return out;
}

// The command prints its own cgroup, its parent's (the relay, or init) and its grandparent's
// (when the parent is not process 1 of its namespace), then binds.
std::vector<std::string> printCgroupsAndBind(uint16_t port) {
  return {"/bin/sh", "-c",
          "cat /proc/self/cgroup /proc/$PPID/cgroup; "
          "g=$(awk '/^PPid:/ {print $2}' /proc/$PPID/status); "
          "[ \"$g\" = 0 ] || cat /proc/$g/cgroup; "
          "exec \"$0\" seq tcp4:" +
              str(port),
          bindsProgram()};
}

// privbind as process 1 of a new pid namespace (asPid1), with a /proc of that namespace, so that
// the command's $PPID is found there.
std::vector<std::string> asPid1WithProc(const std::vector<std::string>& rest) {
  return std::vector<std::string>{"unshare", "--pid", "--fork", "--mount-proc", "--"} +
         cg({}, rest);
}

bool haveStrace() { return run({"strace", "-V"}).status == 0; }

TEST_CASE("under a terminal: the command is born in privbind's cgroup, the relay stays outside") {
  REQUIRE_CGROUP_MODE();
  if (!haveStrace()) SKIP_TEST("strace is not installed: the system calls cannot be shown");
  TempDir dir;
  const std::string trace = dir / "trace";
  uint16_t port = freeReservedPort();
  RunResult r = runOnTerminal(straced(trace, cg({}, printCgroupsAndBind(port))));
  REQUIRE_MESSAGE(r.status == 0, r.out);
  std::vector<std::string> paths = v2PathsIn(r.out);
  REQUIRE_MESSAGE(paths.size() == 3, r.out);
  // The command: in the cgroup privbind made below the test's; the relay (its parent) and the
  // process that started privbind (strace): where the test is.
  const std::string own = cgroupOf(getpid());
  CHECK(paths[0].substr(0, paths[0].rfind('/')) == privateParent.path());
  CHECK(paths[0].substr(paths[0].rfind('/') + 1).starts_with("privbind-"));
  CHECK(paths[1] == own);
  CHECK(paths[2] == own);
  // The grant: nobody bound the reserved port.
  CHECK_MESSAGE(r.out.find("tcp4:" + str(port) + " ok\n") != std::string::npos, r.out);
  expectRefusedOutside(port);
  // Nothing moved into a cgroup: one clone3 into it, no cgroup.procs opened for writing.
  const std::string calls = slurp(trace);
  CHECK_MESSAGE(bornIn(calls).size() > 0, calls);
  CHECK_MESSAGE(movesIn(calls).empty(), movesIn(calls));
  // The control: without a terminal privbind is the command and moves itself in, which the same
  // trace shows.
  RunResult inPlace = run(straced(trace, cg({}, {"cat", "/proc/self/cgroup"})));
  REQUIRE_MESSAGE(inPlace.status == 0, inPlace.err);
  const std::string moved = slurp(trace);
  CHECK_MESSAGE(!movesIn(moved).empty(), moved);
  CHECK_MESSAGE(bornIn(moved).empty(), moved);
}

TEST_CASE("PID 1 of a pid namespace: the command is born in the cgroup, init and relay outside") {
  REQUIRE_CGROUP_MODE();
  if (!haveStrace()) SKIP_TEST("strace is not installed: the system calls cannot be shown");
  TempDir dir;
  const std::string trace = dir / "trace";
  const std::string own = cgroupOf(getpid());
  // Without a terminal: init's child is the command's process.
  uint16_t port = freeReservedPort();
  RunResult r = run(straced(trace, asPid1WithProc(printCgroupsAndBind(port))));
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::vector<std::string> paths = v2PathsIn(r.out);
  REQUIRE_MESSAGE(paths.size() == 2, r.out);
  CHECK(paths[0].substr(0, paths[0].rfind('/')) == privateParent.path());
  CHECK(paths[1] == own);  // init, process 1
  CHECK(r.out.find("tcp4:" + str(port) + " ok\n") != std::string::npos);
  std::string calls = slurp(trace);
  CHECK_MESSAGE(bornIn(calls).size() > 0, calls);
  CHECK_MESSAGE(movesIn(calls).empty(), movesIn(calls));
  // Under a terminal: init's child is the relay, outside; the relay's child is the command's.
  port = freeReservedPort();
  r = runOnTerminal(straced(trace, asPid1WithProc(printCgroupsAndBind(port))));
  REQUIRE_MESSAGE(r.status == 0, r.out);
  paths = v2PathsIn(r.out);
  REQUIRE_MESSAGE(paths.size() == 3, r.out);
  CHECK(paths[0].substr(0, paths[0].rfind('/')) == privateParent.path());
  CHECK(paths[1] == own);  // the relay
  CHECK(paths[2] == own);  // init
  CHECK_MESSAGE(r.out.find("tcp4:" + str(port) + " ok\n") != std::string::npos, r.out);
  calls = slurp(trace);
  CHECK_MESSAGE(bornIn(calls).size() > 0, calls);
  CHECK_MESSAGE(movesIn(calls).empty(), movesIn(calls));
  expectRefusedOutside(port);
}

// A container runtime's seccomp filter may refuse clone3 (ENOSYS, or EPERM): the command's
// process is then forked and moved in, silently unless -v.
TEST_CASE("under a terminal without clone3: the command is moved in, -v says why") {
  REQUIRE_CGROUP_MODE();
  const std::string noClone3 = buildC("no_clone3.c", programDir());
  const std::string own = cgroupOf(getpid());
  for (const char* err : {"enosys", "eperm"}) {
    for (bool verbose : {true, false}) {
      CAPTURE(err);
      CAPTURE(verbose);
      uint16_t port = freeReservedPort();
      RunResult r =
          runOnTerminal(std::vector<std::string>{noClone3, err} +
                        cg(verbose ? std::vector<std::string>{"-v"} : std::vector<std::string>{},
                           printCgroupsAndBind(port)));
      REQUIRE_MESSAGE(r.status == 0, r.out);
      std::vector<std::string> paths = v2PathsIn(r.out);
      REQUIRE_MESSAGE(paths.size() == 3, r.out);
      CHECK(paths[0].substr(0, paths[0].rfind('/')) == privateParent.path());
      CHECK(paths[1] == own);
      CHECK_MESSAGE(r.out.find("tcp4:" + str(port) + " ok\n") != std::string::npos, r.out);
      const std::string why =
          std::string("privbind: cgroup mode: clone3(CLONE_INTO_CGROUP): ") +
          (std::string(err) == "eperm" ? "Operation not permitted" : "Function not implemented") +
          "; the command's process moves into the cgroup instead\n";
      CHECK_MESSAGE((r.out.find(why) != std::string::npos) == verbose, r.out);
      CHECK_MESSAGE((r.out.find("clone3") != std::string::npos) == verbose, r.out);
    }
  }
}

// Removed between the watcher's report and the command's birth: clone3 refuses to make a process
// in a removed cgroup, and the fork and the move that follow say so in privbind's words;
// the command never runs. strace holds clone3 for a second on entry (--inject delay_enter), so
// that the removal lands exactly there: once the watcher has linked the programs, nothing else
// in privbind looks at the cgroup before the command's process is made.
TEST_CASE("under a terminal, the cgroup removed before the command's birth: refused, never run") {
  REQUIRE_CGROUP_MODE();
  if (!haveStrace()) SKIP_TEST("strace is not installed: clone3 cannot be held back");
  TempDir dir;
  std::atomic<bool> done{false};
  std::string removed;
  // Removes privbind's cgroup once the watcher has linked the programs to it.
  std::thread remover([&] {
    while (!done) {
      for (const auto& [name, uid] : subdirectories(privateParent.dir())) {
        const std::string cgdir = privateParent.dir() + "/" + name;
        if (!name.starts_with("privbind-") || !removed.empty()) continue;
        RunResult shown = run({"bpftool", "cgroup", "show", cgdir});
        if (shown.out.find(" bind4 ") != std::string::npos && rmdir(cgdir.c_str()) == 0)
          removed = cgdir;
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  RunResult r = runOnTerminal(std::vector<std::string>{"strace", "-f", "-qq", "-o", dir / "trace",
                                                       "--inject=clone3:delay_enter=1000000"} +
                              cg({"-v"}, {"/bin/sh", "-c", "echo the command r''an"}));
  done = true;
  remover.join();
  REQUIRE_MESSAGE(!removed.empty(), r.out);
  CHECK(r.status == 125);
  // The kernel's word for a removed cgroup (ENOENT on 6.x, ENODEV from older kernels).
  const bool enoent = r.out.find(
                          "privbind: cgroup mode: clone3(CLONE_INTO_CGROUP): No such file or "
                          "directory; the command's process moves into the cgroup "
                          "instead\n") != std::string::npos;
  const bool enodev = r.out.find(
                          "privbind: cgroup mode: clone3(CLONE_INTO_CGROUP): No such "
                          "device; the command's process moves into the cgroup "
                          "instead\n") != std::string::npos;
  CHECK_MESSAGE((enoent || enodev), r.out);
  // The last line: privbind's refusal, naming the cgroup and who could remove it.
  REQUIRE(r.out.ends_with("\n"));
  const std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  CHECK_MESSAGE(last == "privbind: cgroup mode: the cgroup privbind created (" + removed +
                            ") was removed before the command entered it (the parent cgroup " +
                            privateParent.dir() +
                            " is owned by uid 0, who can remove cgroups "
                            "in it)\n",
                r.out);
  CHECK(r.out.find("the command ran") == std::string::npos);
}

TEST_CASE("a privbind-* directory the parent's owner made is no leftover; root's empty one is") {
  REQUIRE_CGROUP_MODE();
  TestUser owner;
  privateParent.delegateTo(owner);
  const std::string theirs = privateParent.dir() + "/privbind-1-0000000000000000";
  const std::string leftover = privateParent.dir() + "/privbind-2-0000000000000000";
  RunResult made = run({"setpriv", "--reuid=" + str(owner.uid()), "--regid=" + str(owner.gid()),
                        "--clear-groups", "--", "mkdir", theirs});
  REQUIRE_MESSAGE(made.status == 0, made.err);
  // The control: what a killed watcher leaves, root's, empty, unlocked.
  REQUIRE(mkdir(leftover.c_str(), 0755) == 0);
  RunResult r = run(cg({"-v"}, {"true"}));
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(exists(theirs));
  CHECK(r.err.find("removed " + theirs) == std::string::npos);
  CHECK(!exists(leftover));
  CHECK(r.err.find("removed " + leftover) != std::string::npos);
  rmdir(theirs.c_str());
}

// Someone else (root here; a service manager, the parent's owner) removes the command's cgroup
// before the watcher does. The watcher is stopped meanwhile, to make sure it does not win the
// race. A socket made in the cgroup keeps the cgroup's programs for as long as the links live,
// so the grant ends only when the watcher does.
TEST_CASE("a cgroup removed under its watcher: the watcher exits at once, and the grant ends") {
  REQUIRE_CGROUP_MODE();
  TempDir dir;
  const std::string go = dir / "go";
  uint16_t port = freeReservedPort();
  Process p(cg({"-v"}, {bindsProgram(), "later", go, "tcp4:" + str(port)}));
  pid_t watcher = -1;
  REQUIRE_MESSAGE(eventually([&] { return (watcher = watcherPidIn(p.err())) > 0; }), p.err());
  REQUIRE_MESSAGE(eventually([&] { return p.out() == "socket\n"; }, 10s), p.err());
  const std::string cgdir = expectPrivbindCgroup(p.pid());
  // Started by privbind, which this test started; its pid is the one privbind printed.
  REQUIRE(::kill(watcher, SIGSTOP) == 0);
  struct Continue {
    pid_t pid;
    ~Continue() { ::kill(pid, SIGCONT); }
  } resume{watcher};
  REQUIRE(eventually([&] { return stateOf(watcher) == 'T'; }));
  // The command, socket in hand, moved out; its cgroup, empty now, removed.
  REQUIRE(moveInto(privateParent.dir(), p.pid()));
  REQUIRE(eventually([&] { return rmdir(cgdir.c_str()) == 0; }));
  REQUIRE(::kill(watcher, SIGCONT) == 0);
  CHECK_MESSAGE(eventually([&] { return gone(watcher); }, 3s),
                "the watcher of a removed cgroup still runs");
  { std::ofstream(go) << "go\n"; }
  REQUIRE(p.wait() == 0);
  CHECK(p.out() == "socket\ntcp4:" + str(port) + " EACCES\n");
}

// In a network namespace the command made itself, the kernel checks CAP_NET_BIND_SERVICE against
// that namespace's owner, the command: the bind succeeds without privbind, so privbind neither
// grants nor says it refused.
TEST_CASE("a network namespace of the command's own: no refusal line for a bind that works") {
  REQUIRE_CGROUP_MODE();
  RunResult can = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                       "unshare", "-Urn", "true"});
  if (can.status != 0) SKIP_TEST("nobody cannot make a user namespace here: " + can.err);
  uint16_t port = freeReservedPort(), other = freeReservedPort();
  while (other == port) other = freeReservedPort();
  const std::string bind = "tcp4:" + str(port);
  const std::string line = "privbind: port " + str(port) + "/tcp: bind refused: not in -p ";
  RunResult own = runPipedStderr(
      cg({"-p", str(other)}, {"unshare", "-Urn", "/bin/sh", "-c",
                              "ip link set lo up && exec \"$0\" seq " + bind, bindsProgram()}));
  CHECK_MESSAGE(own.status == 0, own.err);
  CHECK(own.out == bind + " ok\n");
  CHECK_MESSAGE(own.err.find("privbind: ") == std::string::npos, own.err);
  // The control: the same bind in privbind's namespace is refused, and said.
  RunResult here = runPipedStderr(cg({"-p", str(other)}, {bindsProgram(), "seq", bind}));
  CHECK(here.status == 0);
  CHECK(here.out == bind + " EACCES\n");
  CHECK_MESSAGE(here.err.find(line + str(other)) != std::string::npos, here.err);
}

TEST_CASE("a 0555 parent cgroup without CAP_DAC_OVERRIDE: the refusal names the capability") {
  REQUIRE_CGROUP_MODE();
  // A private parent cgroup of the test's own, made 0555 as some hosts mount the cgroup2 root;
  // the host's own directories are never chmod'ed. privbind is moved in by the shell, then runs
  // with a bounding set like a systemd unit's (no CAP_DAC_OVERRIDE): root's exec of privbind
  // then has none of it.
  const std::string own = cgroupOf(getpid());
  const std::string parentPath = (own == "/" ? "" : own) + "/pbt-0555-" + str(getpid());
  const std::string parent = cgroupDir(parentPath);
  REQUIRE(mkdir(parent.c_str(), 0755) == 0);
  struct RemoveParent {
    std::string path;
    ~RemoveParent() {
      for (int i = 0; i < 50 && rmdir(path.c_str()) != 0 && errno == EBUSY; ++i) usleep(20000);
    }
  } removeParent{parent};
  REQUIRE(chmod(parent.c_str(), 0555) == 0);
  auto inParent = [&](const std::vector<std::string>& wrapper,
                      const std::vector<std::string>& argv) {
    std::vector<std::string> out = {"/bin/sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
                                    parent};
    return out + wrapper + argv;
  };
  const std::vector<std::string> unitLike = {"setpriv", "--bounding-set", "-dac_override", "--"};
  uint16_t port = freeReservedPort();
  const std::vector<std::string> binds = {bindsProgram(), "seq", "tcp4:" + str(port)};

  RunResult refused = run(inParent(unitLike, cg({}, binds)));
  CHECK(refused.status == 125);
  CHECK_MESSAGE(refused.err == "privbind: cgroup mode: " + parent +
                                   ": mode 0555, owned by root: creating a cgroup there needs "
                                   "CAP_DAC_OVERRIDE, which is not in privbind's bounding set; add "
                                   "it there (a systemd unit's CapabilityBoundingSet=, capsh "
                                   "--drop=..., a container's --cap-add)\n",
                refused.err);
  CHECK(refused.out.empty());
  // auto falls back to broker mode and -v gives the same reason, no guess.
  RunResult fallback = run(inParent(
      unitLike, std::vector<std::string>{privbindPath(), "-v", "-u", "nobody", "--"} + binds));
  CHECK_MESSAGE(fallback.status == 0, fallback.err);
  CHECK(fallback.out == "tcp4:" + str(port) + " ok\n");
  CHECK_MESSAGE(fallback.err.find("privbind: auto: broker mode, because cgroup mode is not "
                                  "available: " +
                                  parent +
                                  ": mode 0555, owned by root: creating a cgroup there "
                                  "needs CAP_DAC_OVERRIDE") != std::string::npos,
                fallback.err);
  CHECK(fallback.err.find("container?") == std::string::npos);
  // The control: with CAP_DAC_OVERRIDE, the same 0555 parent serves in cgroup mode.
  RunResult served = run(inParent({}, cg({}, binds)));
  CHECK_MESSAGE(served.status == 0, served.err);
  CHECK(served.out == "tcp4:" + str(port) + " ok\n");
}

TEST_CASE("without privbind, nobody is refused a reserved port: the controls can fail") {
  uint16_t port = freeReservedPort();
  expectRefusedOutside(port);
  REQUIRE_FALSE(cgroup2Mount().empty());
  CHECK(exists(cgroupDir(cgroupOf(getpid())) + "/cgroup.procs"));
}

}  // TEST_SUITE("cgroup")
