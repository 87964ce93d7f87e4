#include "support.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace testsupport {

std::string privbindPath() { return PRIVBIND_TEST_BINARY; }
std::string shimPath() { return PRIVBIND_TEST_SHIM; }
std::string sourceDir() { return PRIVBIND_TEST_SOURCE_DIR; }
std::string python() { return "/usr/bin/python3"; }

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int decode(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extraEnv, int in,
            int out, int err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envStore;
  for (char** e = environ; *e; ++e) envStore.emplace_back(*e);
  for (const auto& e : extraEnv) envStore.push_back(e);
  std::vector<char*> env;
  for (auto& e : envStore) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execvpe(args[0], args.data(), env.data());
    _exit(127);
  }
  return pid;
}

std::optional<int> waitPid(pid_t pid, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int ws = 0;
    pid_t r = waitpid(pid, &ws, WNOHANG);
    if (r == pid) return decode(ws);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    struct timespec ts {
      0, 5'000'000
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              const std::string& input) {
  TempDir dir;
  std::string inPath = dir / "in", outPath = dir / "out", errPath = dir / "err";
  { std::ofstream(inPath) << input; }
  int in = open(inPath.c_str(), O_RDONLY | O_CLOEXEC);
  int out = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t pid = spawn(argv, {}, in, out, err);
  close(in);
  close(out);
  close(err);
  RunResult r;
  auto st = waitPid(pid, timeout);
  if (!st) {
    r.timedOut = true;
    ::kill(pid, SIGKILL);
    st = waitPid(pid, 5s);
  }
  r.status = st.value_or(-1);
  r.out = slurp(outPath);
  r.err = slurp(errPath);
  return r;
}

RunResult runPipedStderr(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::vector<std::string> wrapped = {
      "bash", "-c", "set -o pipefail; { \"$@\" 2>&1 1>&3 3>&- | cat >&2; } 3>&1", "bash"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return run(wrapped, timeout);
}

RunResult sh(const std::string& script, std::chrono::milliseconds timeout) {
  return run({"/bin/sh", "-c", script}, timeout);
}

Process::Process(const std::vector<std::string>& argv, const std::vector<std::string>& extraEnv) {
  char tmpl[] = "/tmp/privbind-proc-XXXXXX";
  int out = mkstemp(tmpl);
  outPath_ = tmpl;
  char tmpl2[] = "/tmp/privbind-proc-XXXXXX";
  int err = mkstemp(tmpl2);
  errPath_ = tmpl2;
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  fcntl(out, F_SETFD, FD_CLOEXEC);
  fcntl(err, F_SETFD, FD_CLOEXEC);
  pid_ = spawn(argv, extraEnv, in, out, err);
  close(in);
  close(out);
  close(err);
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitPid(pid_, 5s);
  }
  unlink(outPath_.c_str());
  unlink(errPath_.c_str());
}

bool Process::running() {
  if (reaped_) return false;
  int ws = 0;
  pid_t r = waitpid(pid_, &ws, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = decode(ws);
    return false;
  }
  return r == 0;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (reaped_) return status_;
  auto st = waitPid(pid_, timeout);
  if (st) {
    reaped_ = true;
    status_ = *st;
  }
  return st;
}

void Process::kill(int sig) {
  if (!reaped_ && pid_ > 0) ::kill(pid_, sig);
}

std::string Process::out() const { return slurp(outPath_); }
std::string Process::err() const { return slurp(errPath_); }

std::optional<std::string> cgroupModeUnavailable() {
  static const std::optional<std::string> why = []() -> std::optional<std::string> {
    RunResult r = run({privbindPath(), "--mode=cgroup", "-u", "nobody", "--", "true"});
    if (r.status != 125) return std::nullopt;
    std::string line = r.err.substr(0, r.err.find('\n'));
    if (line.starts_with("privbind: cgroup mode: ")) return line;
    return "privbind has no cgroup mode here: " + line;
  }();
  return why;
}

std::vector<std::string> launchModes() {
  std::vector<std::string> modes = {"caps", "broker"};
  if (!cgroupModeUnavailable()) modes.push_back("cgroup");
  return modes;
}

namespace {
constexpr const char* kGrantsFile = "/etc/privbind/grants.conf";
bool bpffsMounted() {
  struct statfs s {};
  return statfs("/sys/fs/bpf", &s) == 0 && s.f_type == BPF_FS_MAGIC;
}
}  // namespace

StandingGrantsAsFound::StandingGrantsAsFound() {
  hadFile_ = access(kGrantsFile, F_OK) == 0;
  if (hadFile_) saved_ = slurp(kGrantsFile);
  hadPins_ = access("/sys/fs/bpf/privbind/grants_bind4", F_OK) == 0;
  hadDir_ = access("/etc/privbind", F_OK) == 0;
  hadRunDir_ = access("/run/privbind", F_OK) == 0;
  hadBpffs_ = bpffsMounted();
  unlink(kGrantsFile);
  run({privbindPath(), "grants", "off"});
}

StandingGrantsAsFound::~StandingGrantsAsFound() {
  run({privbindPath(), "grants", "off"});
  if (hadFile_) {
    mkdir("/etc/privbind", 0755);  // a package purge may have removed it
    std::ofstream(kGrantsFile) << saved_;
    chmod(kGrantsFile, 0644);
    if (hadPins_) run({privbindPath(), "grants", "apply"});
  } else {
    unlink(kGrantsFile);
  }
  if (!hadDir_) rmdir("/etc/privbind");
  if (!hadRunDir_) {
    unlink("/run/privbind/grants.lock");
    rmdir("/run/privbind");
  }
  if (!hadBpffs_ && bpffsMounted()) umount2("/sys/fs/bpf", MNT_DETACH);
}

namespace {
constexpr const char* kPinDir = "/sys/fs/bpf/privbind";
}  // namespace

std::vector<std::string> launchSetEntries() {
  std::vector<std::string> out;
  if (DIR* d = opendir(kPinDir)) {
    while (dirent* e = readdir(d))
      if (std::string name = e->d_name; name.starts_with("launch-")) out.push_back(name);
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

LaunchSetsAsFound::LaunchSetsAsFound() {
  hadBpffs_ = bpffsMounted();
  hadPinDir_ = access(kPinDir, F_OK) == 0;
  for (const auto& name : launchSetEntries()) {
    if (aside_.empty()) {
      aside_ = "/sys/fs/bpf/privbind-test-aside-" + std::to_string(getpid());
      if (mkdir(aside_.c_str(), 0700) != 0) throw std::runtime_error("mkdir " + aside_);
    }
    const std::string from = std::string(kPinDir) + "/" + name;
    if (rename(from.c_str(), (aside_ + "/" + name).c_str()) != 0)
      throw std::runtime_error("cannot move " + from + " aside");
    moved_.push_back(name);
  }
}

LaunchSetsAsFound::~LaunchSetsAsFound() {
  for (const auto& name : launchSetEntries())
    run({"rm", "-rf", "--", std::string(kPinDir) + "/" + name});
  if (!moved_.empty()) mkdir(kPinDir, 0700);  // `grants off` removes it when empty
  for (const auto& name : moved_)
    rename((aside_ + "/" + name).c_str(), (std::string(kPinDir) + "/" + name).c_str());
  if (!aside_.empty()) run({"rm", "-rf", "--", aside_});
  if (!hadPinDir_) rmdir(kPinDir);  // only when empty: the standing grants' pins stay
  if (!hadBpffs_ && bpffsMounted()) umount2("/sys/fs/bpf", MNT_DETACH);
}

TestUser::TestUser(int extraGroups) {
  unsigned char r[4];
  if (getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r))
    throw std::runtime_error("getrandom failed");
  char suffix[16];
  snprintf(suffix, sizeof suffix, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
  name_ = std::string("pbt-") + suffix;
  RunResult u = run({"useradd", "--system", "--no-create-home", "--user-group", "--shell",
                     "/usr/sbin/nologin", name_});
  if (u.status != 0) throw std::runtime_error("useradd " + name_ + ": " + u.err);
  for (int i = 1; i <= extraGroups; ++i) {
    std::string g = name_ + "-" + std::to_string(i);
    RunResult rg = run({"groupadd", "--system", g});
    if (rg.status != 0) throw std::runtime_error("groupadd " + g + ": " + rg.err);
    groups_.push_back(g);
  }
  if (!groups_.empty()) {
    std::string list;
    for (const auto& g : groups_) list += (list.empty() ? "" : ",") + g;
    RunResult um = run({"usermod", "-a", "-G", list, name_});
    if (um.status != 0) throw std::runtime_error("usermod " + name_ + ": " + um.err);
  }
  struct passwd* pw = getpwnam(name_.c_str());
  if (!pw) throw std::runtime_error("getpwnam " + name_);
  uid_ = pw->pw_uid;
  gid_ = pw->pw_gid;
}

TestUser::~TestUser() {
  // userdel removes the user's own group (useradd --user-group made it).
  run({"userdel", name_});
  for (const auto& g : groups_) run({"groupdel", g});
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/privbind-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  // nftw rather than run("rm -rf"): run() itself uses a TempDir.
  nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

namespace {

bool canBind(int family, int type, uint16_t port) {
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int ok;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  close(fd);
  return ok;
}

// host:port ("127.0.0.1" or "::1") as a socket address; returns its length.
socklen_t loopbackAddress(const std::string& host, uint16_t port, sockaddr_storage& ss) {
  ss = {};
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, host.c_str(), &a->sin6_addr);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &a->sin_addr);
  return sizeof *a;
}

int connectTo(const std::string& host, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = loopbackAddress(host, port, ss);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  struct timeval tv {
    5, 0
  };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

uint16_t freeReservedPort() {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    uint16_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r) continue;
    uint16_t port = static_cast<uint16_t>(600 + r % 400);
    if (canBind(AF_INET, SOCK_STREAM, port) && canBind(AF_INET6, SOCK_STREAM, port) &&
        canBind(AF_INET, SOCK_DGRAM, port) && canBind(AF_INET6, SOCK_DGRAM, port))
      return port;
  }
  throw std::runtime_error("no free reserved port in 600..999");
}

bool waitForTcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        int fd = connectTo(host, port);
        if (fd < 0) return false;
        close(fd);
        return true;
      },
      timeout);
}

std::string httpGet(const std::string& host, uint16_t port, const std::string& path) {
  int fd = connectTo(host, port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string out = readAll(fd);
  close(fd);
  return out;
}

std::string tcpRead(const std::string& host, uint16_t port) {
  int fd = connectTo(host, port);
  if (fd < 0) return "";
  std::string out = readAll(fd);
  close(fd);
  return out;
}

std::string udpAsk(const std::string& host, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len = loopbackAddress(host, port, ss);
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[128] = {};
  ssize_t n = -1;
  if (sendto(fd, "hi", 2, 0, reinterpret_cast<sockaddr*>(&ss), len) == 2)
    n = recv(fd, buf, sizeof buf - 1, 0);
  close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string buildC(const std::string& source, const std::string& dir,
                   const std::vector<std::string>& flags) {
  std::string name = source.substr(0, source.rfind('.'));
  for (const auto& f : flags)
    if (f == "-static") name += "-static";
  std::string out = dir + "/" + name;
  std::vector<std::string> argv = {"cc", "-O2", "-pthread",
                                   "-o", out,   sourceDir() + "/programs/" + source};
  argv.insert(argv.end(), flags.begin(), flags.end());
  RunResult r = run(argv, 120s);
  if (r.status != 0) throw std::runtime_error("cc " + source + " failed: " + r.err);
  return out;
}

std::string buildGo(const std::string& source, const std::string& dir, const std::string& out) {
  const std::string bin = dir + "/" + out;
  RunResult r = run(
      {"env", "CGO_ENABLED=0", "GOCACHE=" + dir + "/gocache", "GOPATH=" + dir + "/gopath",
       "HOME=" + dir, "GOFLAGS=", "go", "build", "-o", bin, sourceDir() + "/programs/" + source},
      300s);
  if (r.status != 0) throw std::runtime_error("go build " + source + " failed: " + r.err);
  return bin;
}

privbind::proc::Status status(pid_t pid) {
  auto st = privbind::proc::readStatus(pid);
  if (!st) throw std::runtime_error(st.error().message());
  return *st;
}

pid_t firstChild(pid_t parent) {
  std::string text =
      slurp("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children");
  std::istringstream in(text);
  pid_t child = -1;
  in >> child;
  return child;
}

const std::string& programDir() {
  static TempDir dir;
  return dir.path();
}
const std::string& bindsProgram() {
  static const std::string path = buildC("cgroup_binds.c", programDir());
  return path;
}

KillAtEnd::~KillAtEnd() {
  if (pid <= 0) return;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (cmdline.starts_with(program)) ::kill(pid, SIGKILL);
}

int fdCount(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

std::vector<pid_t> pidsOf(const std::string& comm) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = strtol(e->d_name, &end, 10);
    if (*end != 0 || pid <= 0) continue;
    std::string c = slurp("/proc/" + std::string(e->d_name) + "/comm");
    if (!c.empty() && c.back() == '\n') c.pop_back();
    if (c == comm) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

void expectCredentials(pid_t pid, const Credentials& want) {
  auto st = status(pid);
  CAPTURE(pid);
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(st.uid[i] == want.uid);
    CHECK(st.gid[i] == want.gid);
  }
  std::vector<gid_t> have = st.groups, expected = want.groups;
  std::sort(have.begin(), have.end());
  std::sort(expected.begin(), expected.end());
  CHECK(have == expected);
  CHECK(st.capInh == want.inh);
  CHECK(st.capPrm == want.prm);
  CHECK(st.capEff == want.eff);
  CHECK(st.capAmb == want.amb);
  CHECK(st.capBnd == want.bnd);
  CHECK(st.noNewPrivs == want.noNewPrivs);
}

unsigned lockedSecureBits(bool ambient) {
  unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                  SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (!ambient) bits |= SECBIT_NO_CAP_AMBIENT_RAISE;
  return bits;
}

void expectLockedSecureBits(const std::vector<std::string>& args, bool ambient) {
  // PR_GET_SECUREBITS is 27 (<linux/prctl.h>).
  const std::vector<std::string> probe = {
      python(), "-c",
      "import ctypes; print('securebits=%#x' % ctypes.CDLL(None).prctl(27, 0, 0, 0, 0))"};
  RunResult control = run(probe);
  CHECK(control.out == "securebits=0x0\n");
  std::vector<std::string> argv = {privbindPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--");
  argv.insert(argv.end(), probe.begin(), probe.end());
  RunResult r = run(argv);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  char want[32];
  snprintf(want, sizeof want, "securebits=%#x\n", lockedSecureBits(ambient));
  CHECK(r.out == want);
}

}  // namespace testsupport
