// Standing grants and rootless podman: a plain user publishes a reserved port with `podman run -p`,
// which podman refuses ("rootlessport cannot expose privileged port") until root grants that
// user the port. podman's port forwarder (rootlessport) binds on the host, in the initial
// network namespace, as the user: the standing grant is what lets that bind through.
//
// Everything is real: a user made for the test with subordinate ids in /etc/subuid and
// /etc/subgid, an ACL on /dev/net/tun for slirp4netns, Debian's podman with runc and
// slirp4netns, a container started from a directory (--rootfs, no image, no registry) holding
// busybox's httpd, and an HTTP client on 127.0.0.1. The test restores /etc/subuid,
// /etc/subgid and the device's ACL, and removes the grant, the user, its processes and storage.
//
// On this kind of host crun refuses the hybrid cgroup layout and there is no systemd or login
// session: runc, --cgroup-manager=cgroupfs and an XDG_RUNTIME_DIR made here.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support.h"

using namespace testsupport;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

// What the test needs from the host that a package provides (scripts/bootstrap installs them).
std::string missingTools() {
  const std::pair<const char*, const char*> tools[] = {{"/usr/bin/podman", "podman"},
                                                       {"/usr/sbin/runc", "runc"},
                                                       {"/usr/bin/slirp4netns", "slirp4netns"},
                                                       {"/usr/bin/newuidmap", "uidmap"},
                                                       {"/usr/bin/newgidmap", "uidmap"},
                                                       {"/bin/busybox", "busybox-static"},
                                                       {"/usr/bin/setfacl", "acl"},
                                                       {"/usr/bin/getfacl", "acl"},
                                                       {"/usr/bin/setpriv", "util-linux"}};
  std::string missing;
  for (const auto& [path, package] : tools)
    if (!executable(path))
      missing += std::string(missing.empty() ? "" : ", ") + path + " (" + package + ")";
  if (missing.empty() && access("/dev/net/tun", F_OK) != 0) missing = "/dev/net/tun";
  return missing;
}

// busybox must be static: the rootfs holds nothing else.
bool staticBusybox() {
  RunResult r = run({"file", "-L", "/bin/busybox"});
  return r.status == 0 && r.out.find("statically linked") != std::string::npos;
}

std::string str(long v) { return std::to_string(v); }

// A TCP port above the reserved range that is free right now on 127.0.0.1.
uint16_t freeUnreservedPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

// Pids of the processes whose real uid is uid (zombies included: they still hold the uid).
std::vector<pid_t> processesOf(uid_t uid) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::istringstream in(slurp(e.path().string() + "/status"));
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("Uid:")) continue;
      std::istringstream f(line.substr(4));
      uid_t real = 0;
      if (f >> real && real == uid) out.push_back(std::stoi(name));
      break;
    }
  }
  return out;
}

// One line of /etc/subuid or /etc/subgid per user: "name:first:count". A free range: past the
// end of every range the file already holds, and at least 100000 (login.defs' SUB_UID_MIN).
unsigned long freeSubordinateStart() {
  unsigned long start = 100000;
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    std::istringstream in(slurp(file));
    for (std::string line; std::getline(in, line);) {
      auto c1 = line.find(':'), c2 = line.rfind(':');
      if (c1 == std::string::npos || c2 == c1) continue;
      unsigned long first = std::strtoul(line.c_str() + c1 + 1, nullptr, 10);
      unsigned long count = std::strtoul(line.c_str() + c2 + 1, nullptr, 10);
      start = std::max(start, first + count);
    }
  }
  return start;
}

// What a rootless podman user needs on this host, set up for one TestUser and undone by the
// destructor: subordinate uid and gid ranges (usermod --add-subuids), rw on /dev/net/tun through
// an ACL entry (the device is 0600 root), a home and an XDG_RUNTIME_DIR of its own (0700, no
// login session makes one), and a container rootfs owned by the user (podman creates /etc in
// it as the container's root, which is the user).
class RootlessPodman {
 public:
  static constexpr unsigned long kRange = 65536;

  explicit RootlessPodman(const TestUser& user)
      : user_(user), tunAcl_(run({"getfacl", "-cp", "/dev/net/tun"}).out) {
    // A constructor that throws runs no destructor: undo what was done so far, then rethrow.
    try {
      setUp();
    } catch (...) {
      tearDown();
      throw;
    }
  }
  ~RootlessPodman() { tearDown(); }
  RootlessPodman(const RootlessPodman&) = delete;
  RootlessPodman& operator=(const RootlessPodman&) = delete;

  // podman ARGS as the user, with the options this host needs (see the top of the file).
  RunResult podman(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"setpriv",
                                     "--reuid=" + user_.name(),
                                     "--regid=" + user_.name(),
                                     "--init-groups",
                                     "env",
                                     "-i",
                                     "HOME=" + home_,
                                     "XDG_RUNTIME_DIR=" + runtime_,
                                     "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                     "podman",
                                     "--runtime",
                                     "runc",
                                     "--cgroup-manager=cgroupfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, 120s);
  }

  // Starts busybox httpd in a container from the rootfs, published on 127.0.0.1:hostPort.
  RunResult serve(uint16_t hostPort) const {
    return podman({"run", "--detach", "--rm", "--network", "slirp4netns", "--publish",
                   "127.0.0.1:" + str(hostPort) + ":8080", "--rootfs", rootfs_, "/bin/busybox",
                   "httpd", "-f", "-p", "8080", "-h", "/www"});
  }

  void stopAll() const { podman({"rm", "--all", "--force", "--time", "0"}); }

 private:
  void setUp() {
    home_ = dir_ / "home";
    runtime_ = dir_ / "run";
    rootfs_ = dir_ / "rootfs";
    for (const auto& d : {home_, runtime_}) {
      mkdir(d.c_str(), 0700);
      if (chown(d.c_str(), user_.uid(), user_.gid()) != 0) throw std::runtime_error("chown " + d);
    }
    // The rootfs: busybox and one page to serve.
    RunResult r = sh("mkdir -p '" + rootfs_ + "/bin' '" + rootfs_ + "/www' && cp /bin/busybox '" +
                     rootfs_ + "/bin/busybox' && echo 'served by a rootless container' > '" +
                     rootfs_ + "/www/index.html' && chown -R " + str(user_.uid()) + ":" +
                     str(user_.gid()) + " '" + rootfs_ + "'");
    if (r.status != 0) throw std::runtime_error("rootfs: " + r.err);
    // usermod refuses subordinate ranges without the files (Debian's passwd makes them empty).
    for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
      if (access(file, F_OK) == 0) continue;
      std::ofstream(file).close();
      chmod(file, 0644);
      madeFiles_.push_back(file);
    }
    const unsigned long first = freeSubordinateStart();
    const std::string range =
        str(static_cast<long>(first)) + "-" + str(static_cast<long>(first + kRange - 1));
    r = run({"usermod", "--add-subuids", range, "--add-subgids", range, user_.name()});
    if (r.status != 0) throw std::runtime_error("usermod --add-subuids: " + r.err);
    subIds_ = range;
    r = run({"setfacl", "-m", "u:" + str(user_.uid()) + ":rw", "/dev/net/tun"});
    if (r.status != 0) throw std::runtime_error("setfacl /dev/net/tun: " + r.err);
    aclSet_ = true;
  }

  void tearDown() {
    // The containers, then podman's pause process (it holds the user namespace; podman leaves
    // it running by design and it is ours: started for this user by this test), by pid.
    if (!runtime_.empty()) {
      stopAll();
      const std::string pause = slurp(runtime_ + "/libpod/tmp/pause.pid");
      if (const int pid = std::atoi(pause.c_str()); pid > 1) {
        const auto mine = processesOf(user_.uid());
        if (std::find(mine.begin(), mine.end(), pid) != mine.end()) kill(pid, SIGKILL);
      }
    }
    eventually([&] { return processesOf(user_.uid()).empty(); }, 10s);
    // podman's lock for the user's namespace lives in /dev/shm, named by uid.
    unlink(("/dev/shm/libpod_rootless_lock_" + str(user_.uid())).c_str());
    if (aclSet_) run({"setfacl", "--set-file=-", "/dev/net/tun"}, 30s, tunAcl_);
    aclSet_ = false;
    if (!subIds_.empty())
      run({"usermod", "--del-subuids", subIds_, "--del-subgids", subIds_, user_.name()});
    subIds_.clear();
    for (const auto& file : madeFiles_) unlink(file.c_str());
    madeFiles_.clear();
  }

  const TestUser& user_;
  TempDir dir_;
  std::string home_, runtime_, rootfs_;
  std::string tunAcl_;
  std::string subIds_;
  std::vector<std::string> madeFiles_;
  bool aclSet_ = false;
};

}  // namespace

TEST_SUITE("grants_podman") {

TEST_CASE("rootless podman publishes a reserved port only with a standing grant") {
  if (const std::string missing = missingTools(); !missing.empty()) {
    // CI's machine gets them from scripts/bootstrap: there a missing tool is a failure.
    if (std::getenv("CI")) FAIL("CI lacks what scripts/bootstrap installs: " << missing);
    SKIP_TEST("rootless podman needs " + missing + " (scripts/bootstrap installs them)");
  }
  REQUIRE_MESSAGE(staticBusybox(), "/bin/busybox is not static (busybox-static)");

  const std::string subuidBefore = slurp("/etc/subuid"), subgidBefore = slurp("/etc/subgid");
  const std::string aclBefore = run({"getfacl", "-cp", "/dev/net/tun"}).out;
  const bool runDirBefore = access("/run/privbind", F_OK) == 0;
  uid_t uid = 0;
  std::string name;
  {
    StandingGrantsAsFound asFound;
    TestUser user;
    uid = user.uid();
    name = user.name();
    RootlessPodman podman(user);

    // The set-up works: an unreserved port is published and served without any grant.
    const uint16_t high = freeUnreservedPort();
    REQUIRE(high >= 1024);
    RunResult r = podman.serve(high);
    REQUIRE_MESSAGE(r.status == 0, "podman on an unreserved port: " << r.err);
    REQUIRE(waitForTcp("127.0.0.1", high));
    CHECK(httpGet("127.0.0.1", high).find("served by a rootless container") != std::string::npos);
    podman.stopAll();

    // Without a grant, podman refuses the reserved port itself: rootlessport's bind fails.
    const uint16_t port = freeReservedPort();
    r = podman.serve(port);
    CHECK(r.status != 0);
    CHECK_MESSAGE(
        r.err.find("rootlessport cannot expose privileged port " + str(port)) != std::string::npos,
        r.err);
    CHECK(httpGet("127.0.0.1", port).empty());
    podman.stopAll();

    // With a standing grant for this user, port and protocol, the same command serves.
    r = run({privbindPath(), "grant", "-u", user.name(), "-p", str(port), "--tcp"});
    REQUIRE_MESSAGE(r.status == 0, r.err);
    r = podman.serve(port);
    REQUIRE_MESSAGE(r.status == 0, "podman with a standing grant: " << r.err);
    REQUIRE(waitForTcp("127.0.0.1", port));
    const std::string page = httpGet("127.0.0.1", port);
    CHECK(page.starts_with("HTTP/1."));
    CHECK(page.find("served by a rootless container") != std::string::npos);
    podman.stopAll();

    // Revoked: the next publication is refused again.
    r = run({privbindPath(), "revoke", "-u", user.name(), "-p", str(port), "--tcp"});
    CHECK_MESSAGE(r.status == 0, r.err);
    r = podman.serve(port);
    CHECK(r.status != 0);
    CHECK_MESSAGE(r.err.find("rootlessport cannot expose privileged port") != std::string::npos,
                  r.err);
    // No grant of the user's is left (asked while the standing grants are still as the test made
    // them: `privbind grants` takes its lock under /run/privbind, which asFound then removes).
    CHECK(run({privbindPath(), "grants"}).out.find(user.name()) == std::string::npos);
  }
  // Nothing of the test is left.
  CHECK(processesOf(uid).empty());
  CHECK(slurp("/etc/subuid") == subuidBefore);
  CHECK(slurp("/etc/subgid") == subgidBefore);
  CHECK(run({"getfacl", "-cp", "/dev/net/tun"}).out == aclBefore);
  CHECK(access(("/dev/shm/libpod_rootless_lock_" + str(uid)).c_str(), F_OK) != 0);
  CHECK(run({"id", name}).status != 0);
  // The grants' lock (cgroup-mode runs elsewhere may keep their ring buffer locks there).
  if (!runDirBefore) CHECK(access("/run/privbind/grants.lock", F_OK) != 0);
}

}  // TEST_SUITE("grants_podman")
