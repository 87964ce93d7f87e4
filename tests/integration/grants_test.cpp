// Standing grants, end to end: `privbind grant` as root, then a real user made by the test,
// started WITHOUT privbind (setpriv, every capability set emptied and read back as 0), binds the
// granted ports with C, Python and a static Go server. The kernel state is read back with
// `privbind grants --json` and bpftool; the repairs are provoked by hand (a link unpinned, a map
// pinned where a link should be, an older program set attached at privbind's pins).
//
// These tests change /etc/privbind/grants.conf and the root cgroup's attachments: run them under
// `flock /tmp/privbind-system.lock`. A fixture keeps the file it found and puts it back, and
// leaves the pins as it found them.
#include <doctest/doctest.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "common/ports.h"
#include "support.h"

using namespace testsupport;

namespace {

const std::string kFile = "/etc/privbind/grants.conf";
const std::string kPins = "/sys/fs/bpf/privbind";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string str(long v) { return std::to_string(v); }

RunResult pb(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {privbindPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, 60s);
}

// Standing grants need the bind programs' return value 3 and BPF links: the host that cgroup
// mode runs on. Skips with privbind's own reason otherwise.
#define REQUIRE_GRANTS()                                       \
  do {                                                         \
    if (auto why_ = cgroupModeUnavailable()) SKIP_TEST(*why_); \
  } while (0)

// Keeps /etc/privbind/grants.conf as it was found, and starts from an empty policy with nothing
// attached; puts both back at the end.
// Also what privbind makes on the way, when it was not there: /etc/privbind, the lock under
// /run/privbind, and bpffs itself (privbind mounts it when absent).
class Fixture {
 public:
  Fixture() {
    hadFile_ = exists(kFile);
    if (hadFile_) saved_ = slurp(kFile);
    hadPins_ = exists(kPins + "/grants_bind4");
    hadDir_ = exists("/etc/privbind");
    hadRunDir_ = exists("/run/privbind");
    struct statfs s {};
    hadBpffs_ = statfs("/sys/fs/bpf", &s) == 0 && s.f_type == BPF_FS_MAGIC;
    unlink(kFile.c_str());
    pb({"grants", "off"});
  }
  ~Fixture() {
    pb({"grants", "off"});
    if (hadFile_) {
      std::ofstream(kFile) << saved_;
      chmod(kFile.c_str(), 0644);
      if (hadPins_) pb({"grants", "apply"});
    } else {
      unlink(kFile.c_str());
    }
    if (!hadDir_) rmdir("/etc/privbind");
    if (!hadRunDir_) {
      unlink("/run/privbind/grants.lock");
      rmdir("/run/privbind");
    }
    if (!hadBpffs_) umount2("/sys/fs/bpf", MNT_DETACH);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

 private:
  bool hadFile_ = false, hadPins_ = false, hadDir_ = false, hadRunDir_ = false, hadBpffs_ = false;
  std::string saved_;
};

// argv run as user (uid, gid, no supplementary group) with every capability set empty, the
// bounding set included: an ordinary login's process, no privbind anywhere.
std::vector<std::string> asUser(const TestUser& user, const std::vector<std::string>& argv) {
  std::vector<std::string> out = {"setpriv",
                                  "--reuid=" + str(user.uid()),
                                  "--regid=" + str(user.gid()),
                                  "--clear-groups",
                                  "--inh-caps=-all",
                                  "--bounding-set=-all",
                                  "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// The process has nothing privbind could have given it: the user's ids, no capability at all.
void expectOrdinary(pid_t pid, const TestUser& user) {
  expectCredentials(
      pid,
      Credentials{.uid = user.uid(), .gid = user.gid(), .groups = {}, .bnd = 0, .noNewPrivs = 0});
}

// "SPEC RESULT" lines of cgroup_binds seq, run as user.
std::string binds(const TestUser& user, const std::vector<std::string>& specs) {
  std::vector<std::string> argv = {bindsProgram(), "seq"};
  argv.insert(argv.end(), specs.begin(), specs.end());
  RunResult r = run(asUser(user, argv));
  CHECK_MESSAGE(r.status == 0, r.err);
  return r.out;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// Which ports the kernel enforces for uid, from `privbind grants --json` (the map read back).
std::string kernelJson() {
  RunResult r = pb({"grants", "--json"});
  CHECK_MESSAGE(r.status <= 1, r.err);
  return r.out;
}

}  // namespace

TEST_SUITE("grants") {
TEST_CASE("a granted user binds with C, Python and static Go; others and other ports get EACCES") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice, bob;
  uint16_t tcpPort = freeReservedPort();
  uint16_t udpPort = freeReservedPort();
  while (udpPort == tcpPort) udpPort = freeReservedPort();
  uint16_t other = freeReservedPort();
  while (other == tcpPort || other == udpPort) other = freeReservedPort();
  const std::string t = str(tcpPort), u = str(udpPort), o = str(other);

  // Negative control: before the grant, the same binds are refused.
  std::string before = binds(alice, {"tcp4:" + t, "udp6:" + u});
  CHECK(has(before, "tcp4:" + t + " EACCES"));
  CHECK(has(before, "udp6:" + u + " EACCES"));

  RunResult g1 = pb({"grant", "-u", alice.name(), "-p", t, "--tcp"});
  REQUIRE_MESSAGE(g1.status == 0, g1.err);
  CHECK(has(g1.out, "granted: user " + alice.name()));
  RunResult g2 = pb({"grant", "-u", alice.name(), "-p", u, "--udp"});
  REQUIRE_MESSAGE(g2.status == 0, g2.err);
  std::string file = slurp(kFile);
  CHECK(has(file, "user " + alice.name() + " " + str(alice.uid()) + " tcp " + t + "\n"));
  CHECK(has(file, "user " + alice.name() + " " + str(alice.uid()) + " udp " + u + "\n"));

  // C: IPv4 and IPv6, TCP and UDP exactly as granted.
  std::string c = binds(alice, {"tcp4:" + t, "tcp6:" + t, "udp4:" + u, "udp6:" + u, "udp4:" + t,
                                "tcp6:" + u, "tcp4:" + o});
  CHECK(has(c, "tcp4:" + t + " ok"));
  CHECK(has(c, "tcp6:" + t + " ok"));
  CHECK(has(c, "udp4:" + u + " ok"));
  CHECK(has(c, "udp6:" + u + " ok"));
  CHECK(has(c, "udp4:" + t + " EACCES"));  // TCP only
  CHECK(has(c, "tcp6:" + u + " EACCES"));  // UDP only
  CHECK(has(c, "tcp4:" + o + " EACCES"));  // not granted
  // Another user: nothing.
  std::string b = binds(bob, {"tcp4:" + t, "udp4:" + u});
  CHECK(has(b, "tcp4:" + t + " EACCES"));
  CHECK(has(b, "udp4:" + u + " EACCES"));

  // A real C server, capabilities read back from the kernel while it serves.
  {
    std::string server = buildC("bind_server.c", programDir());
    Process p(asUser(alice, {server, "-6", t}));
    REQUIRE(eventually([&] { return has(p.out(), "bound " + t); }, 10s));
    expectOrdinary(p.pid(), alice);
    CHECK(has(tcpRead("::1", tcpPort), "uid=" + str(alice.uid())));
  }
  {
    std::string server = buildC("bind_server.c", programDir());
    Process p(asUser(alice, {server, "-U", u}));
    REQUIRE(eventually([&] { return has(p.out(), "bound " + u); }, 10s));
    expectOrdinary(p.pid(), alice);
    CHECK(has(udpAsk("127.0.0.1", udpPort), "uid=" + str(alice.uid())));
  }
  // Python.
  {
    Process p(asUser(alice, {python(), "-c",
                             "import socket,sys,time\n"
                             "s=socket.socket(); s.bind(('127.0.0.1'," +
                                 t +
                                 ")); s.listen()\n"
                                 "print('bound', flush=True)\n"
                                 "c,_=s.accept(); c.sendall(b'python ok\\n'); c.close()\n"}));
    REQUIRE_MESSAGE(eventually([&] { return has(p.out(), "bound"); }, 10s), p.err());
    expectOrdinary(p.pid(), alice);
    CHECK(has(tcpRead("127.0.0.1", tcpPort), "python ok"));
  }
  // A static Go server: its own system calls, no libc, nothing to preload into. A port of
  // its own (the servers above leave theirs in TIME_WAIT).
  uint16_t goPort = freeReservedPort();
  {
    while (goPort == tcpPort || goPort == udpPort || goPort == other) goPort = freeReservedPort();
    const std::string gp = str(goPort);
    RunResult g3 = pb({"grant", "-u", alice.name(), "-p", gp, "--tcp"});
    REQUIRE_MESSAGE(g3.status == 0, g3.err);
    TempDir dir;
    chmod(dir.path().c_str(), 0755);
    std::string server = buildGo("cgroup_server.go", dir.path(), "server");
    Process p(asUser(alice, {server, gp}));
    REQUIRE_MESSAGE(eventually([&] { return has(p.out(), "bound " + gp); }, 20s), p.out());
    expectOrdinary(p.pid(), alice);
    CHECK(has(tcpRead("127.0.0.1", goPort), "go uid=" + str(alice.uid())));
  }

  // The report: file and kernel in step.
  RunResult s = pb({"grants"});
  CHECK_MESSAGE(s.status == 0, s.out, s.err);
  CHECK(has(s.out, "Drift: none"));
  // One line per protocol, the ports folded in order (the Go server's port is granted too).
  privbind::ports::PortSet tcpSet;
  tcpSet.add(tcpPort);
  tcpSet.add(goPort);
  CHECK_MESSAGE(has(s.out, "user " + alice.name() + " (uid " + str(alice.uid()) + ") tcp " +
                               tcpSet.toString() + "\n"),
                s.out);
  std::string json = kernelJson();
  CHECK(has(json, "\"format\": 1"));
  CHECK(has(json, "\"enforcing\": true"));
}

TEST_CASE("revoke takes effect at once; revoking nothing exits 0 and says so") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p}).status == 0);
  CHECK(has(binds(alice, {"tcp4:" + p, "udp6:" + p}), "udp6:" + p + " ok"));
  RunResult r = pb({"revoke", "-u", alice.name(), "-p", p, "--udp"});
  CHECK_MESSAGE(r.status == 0, r.err);
  std::string after = binds(alice, {"tcp4:" + p, "udp4:" + p, "udp6:" + p});
  CHECK(has(after, "tcp4:" + p + " ok"));
  CHECK(has(after, "udp4:" + p + " EACCES"));
  CHECK(has(after, "udp6:" + p + " EACCES"));
  r = pb({"revoke", "-u", alice.name()});
  CHECK(r.status == 0);
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " EACCES"));
  CHECK_FALSE(has(slurp(kFile), alice.name()));
  // Again: nothing to revoke, exit 0, one line on stderr.
  r = pb({"revoke", "-u", alice.name()});
  CHECK(r.status == 0);
  CHECK(has(r.err, "nothing to revoke"));
}

TEST_CASE("refusals: root, gid 0, unreserved ports, unknown users, usage") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  auto refused = [](const RunResult& r, const std::string& message) {
    CHECK(r.status == 125);
    CHECK_MESSAGE(r.err.rfind("privbind: " + message, 0) == 0, r.err);
  };
  refused(pb({"grant", "-u", "root", "-p", "80"}), "user 'root': uid 0 is root");
  refused(pb({"grant", "-u", "0", "-p", "80"}), "user '0': uid 0 is root");
  refused(pb({"grant", "-g", "root", "-p", "80"}), "group 'root': gid 0");
  refused(pb({"grant", "-u", "pbt-no-such-user", "-p", "80"}),
          "user 'pbt-no-such-user': no such user");
  refused(pb({"grant", "-g", "pbt-no-such-group", "-p", "80"}),
          "group 'pbt-no-such-group': no such group");
  RunResult unreserved = pb({"grant", "-u", alice.name(), "-p", "8080"});
  refused(unreserved, "-p/--ports: 8080 is not reserved");
  CHECK(has(unreserved.err, "Try 'privbind grant --help'."));
  RunResult both = pb({"grant", "-u", alice.name(), "-g", alice.name(), "-p", "80"});
  refused(both, "-u/--user and -g/--group: one or the other");
  CHECK(has(both.err, "Try 'privbind grant --help'."));
  refused(pb({"grant", "-u", alice.name(), "-p", "80,,81"}), "-p/--ports: ");
  RunResult sub = pb({"grants", "on"});
  refused(sub, "'on': not a subcommand");
  CHECK(has(sub.err, "Try 'privbind grants --help'."));
  // Not root: refused before anything is read.
  RunResult notRoot = run(asUser(alice, {privbindPath(), "grant", "-u", alice.name(), "-p", "80"}));
  refused(notRoot, "not run by root");
  // None of it left a trace.
  CHECK_FALSE(exists(kFile));
  RunResult help = pb({"grant", "--help"});
  CHECK(help.status == 0);
  CHECK(has(help.out, "--any-netns"));
}

TEST_CASE("grants off, then apply, restores exactly the file's policy") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice, bob;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  std::string enforced = kernelJson();
  RunResult off = pb({"grants", "off"});
  CHECK_MESSAGE(off.status == 0, off.err);
  CHECK_FALSE(exists(kPins + "/grants_bind4"));
  CHECK_FALSE(exists(kPins + "/grants_bind6"));
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " EACCES"));
  // The file stays, and the report says that the kernel does not follow it (exit 1).
  CHECK(has(slurp(kFile), alice.name()));
  RunResult drift = pb({"grants"});
  CHECK(drift.status == 1);
  CHECK_MESSAGE(has(drift.out, "IPv4 (cgroup/bind4) link missing"), drift.out);
  CHECK(has(drift.out, "IPv6 (cgroup/bind6) link missing"));
  // Hand-edited meanwhile: a configuration-management tool adds bob.
  {
    std::ofstream(kFile, std::ios::app)
        << "user " << bob.name() << " " << bob.uid() << " udp " << p << "\n";
  }
  RunResult apply = pb({"grants", "apply"});
  CHECK_MESSAGE(apply.status == 0, apply.err);
  std::string now = binds(alice, {"tcp4:" + p, "tcp6:" + p, "udp4:" + p});
  CHECK(has(now, "tcp4:" + p + " ok"));
  CHECK(has(now, "tcp6:" + p + " ok"));
  CHECK(has(now, "udp4:" + p + " EACCES"));
  CHECK(has(binds(bob, {"udp6:" + p, "tcp4:" + p}), "udp6:" + p + " ok"));
  RunResult clean = pb({"grants"});
  CHECK_MESSAGE(clean.status == 0, clean.out);
  // apply again: idempotent, nothing repaired.
  RunResult again = pb({"grants", "apply"});
  CHECK(again.status == 0);
  CHECK(again.err.empty());
  // The file loses bob's line by hand: the kernel still grants it until apply, and says so.
  {
    std::string text = slurp(kFile);
    auto at = text.find("user " + bob.name());
    REQUIRE(at != std::string::npos);
    text.erase(at, text.find('\n', at) + 1 - at);
    std::ofstream(kFile) << text;
  }
  RunResult extra = pb({"grants"});
  CHECK(extra.status == 1);
  CHECK_MESSAGE(has(extra.out, "user " + bob.name() + " (uid " + str(bob.uid()) + ") udp " + p +
                                   ": in the kernel, not in the file"),
                extra.out);
  REQUIRE(pb({"grants", "apply"}).status == 0);
  CHECK(has(binds(bob, {"udp4:" + p}), "udp4:" + p + " EACCES"));
  CHECK(pb({"grants"}).status == 0);
  (void)enforced;
}

TEST_CASE("a crash between the attach of bind4 and bind6 is reported and repaired by apply") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  // The link lives only in its pin: removing the pin detaches it, as if privbind had died
  // after pinning bind4 and before bind6.
  REQUIRE(unlink((kPins + "/grants_bind6").c_str()) == 0);
  std::string half = binds(alice, {"tcp4:" + p, "tcp6:" + p});
  CHECK(has(half, "tcp4:" + p + " ok"));
  CHECK(has(half, "tcp6:" + p + " EACCES"));
  RunResult drift = pb({"grants"});
  CHECK(drift.status == 1);
  CHECK_MESSAGE(has(drift.out, "IPv6 (cgroup/bind6) link missing"), drift.out);
  RunResult apply = pb({"grants", "apply"});
  CHECK_MESSAGE(apply.status == 0, apply.err);
  CHECK(has(apply.err, "grants_bind6: missing; attached"));
  CHECK(has(binds(alice, {"tcp6:" + p}), "tcp6:" + p + " ok"));
  CHECK(pb({"grants"}).status == 0);

  // A link detached by root (bpftool link detach) while its pin stays: reported, re-attached.
  RunResult show = run({"bpftool", "link", "show", "pinned", kPins + "/grants_bind4"});
  REQUIRE(show.status == 0);
  std::string id = show.out.substr(0, show.out.find(':'));
  RunResult detach = run({"bpftool", "link", "detach", "id", id});
  if (detach.status == 0) {
    CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " EACCES"));
    RunResult d = pb({"grants"});
    CHECK(d.status == 1);
    CHECK_MESSAGE(has(d.out, "IPv4 (cgroup/bind4) link detached"), d.out);
    RunResult fix = pb({"grants", "apply"});
    CHECK(fix.status == 0);
    CHECK(has(fix.err, "attached again"));
    CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " ok"));
  } else {
    MESSAGE("bpftool cannot detach links here: " << detach.err);
  }
}

TEST_CASE("a tampered pin is detected, reported and replaced") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  // Another object at the link's path: a map.
  REQUIRE(unlink((kPins + "/grants_bind6").c_str()) == 0);
  RunResult made = run({"bpftool", "map", "create", kPins + "/grants_bind6", "type", "array", "key",
                        "4", "value", "4", "entries", "1", "name", "intruder"});
  REQUIRE_MESSAGE(made.status == 0, made.err);
  RunResult drift = pb({"grants"});
  CHECK(drift.status == 1);
  CHECK_MESSAGE(has(drift.out, "link foreign: the pin holds a map, not a link"), drift.out);
  RunResult apply = pb({"grants", "apply"});
  CHECK_MESSAGE(apply.status == 0, apply.err);
  CHECK(has(apply.err, "(tampered); replaced"));
  CHECK(has(binds(alice, {"tcp6:" + p}), "tcp6:" + p + " ok"));
  CHECK(pb({"grants"}).status == 0);
  // The policy map replaced by a map of another shape.
  REQUIRE(unlink((kPins + "/grants_map_v1").c_str()) == 0);
  REQUIRE(run({"bpftool", "map", "create", kPins + "/grants_map_v1", "type", "hash", "key", "4",
               "value", "4", "entries", "4", "name", "grants"})
              .status == 0);
  RunResult d2 = pb({"grants"});
  CHECK(d2.status == 1);
  CHECK_MESSAGE(has(d2.out, "grants_map_v1 foreign"), d2.out);
  RunResult a2 = pb({"grants", "apply"});
  CHECK_MESSAGE(a2.status == 0, a2.err);
  CHECK(has(a2.err, "grants_map_v1: a map 'grants' of another type or size (tampered); replaced"));
  CHECK(has(binds(alice, {"tcp4:" + p, "tcp6:" + p}), "tcp6:" + p + " ok"));
  CHECK(pb({"grants"}).status == 0);
}

TEST_CASE("concurrent grants from 8 processes all land") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  std::vector<uint16_t> ports;
  while (ports.size() < 8) {
    uint16_t p = freeReservedPort();
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
  }
  std::vector<std::unique_ptr<Process>> procs;
  for (uint16_t p : ports)
    procs.push_back(std::make_unique<Process>(std::vector<std::string>{
        privbindPath(), "grant", "-u", alice.name(), "-p", str(p), "--tcp"}));
  for (auto& proc : procs) {
    auto status = proc->wait(60s);
    CHECK(status == std::optional<int>(0));
    CHECK_MESSAGE((proc->err().empty() || has(proc->err(), "attached")), proc->err());
  }
  std::string file = slurp(kFile);
  std::vector<std::string> specs;
  for (uint16_t p : ports) specs.push_back("tcp4:" + str(p));
  std::string got = binds(alice, specs);
  for (uint16_t p : ports) {
    CHECK_MESSAGE(has(file, str(p)), p);
    CHECK_MESSAGE(has(got, "tcp4:" + str(p) + " ok"), got);
  }
  CHECK(pb({"grants"}).status == 0);
}

TEST_CASE("a grant holds in the initial network namespace only, unless --any-netns") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  // A new network namespace (as a rootless container has): its own loopback, brought up.
  auto inNetns = [&] {
    std::vector<std::string> argv = {
        "unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"};
    for (const auto& a : asUser(alice, {bindsProgram(), "seq", "tcp4:" + p, "tcp6:" + p}))
      argv.push_back(a);
    RunResult r = run(argv);
    CHECK_MESSAGE(r.status == 0, r.err);
    return r.out;
  };
  std::string scoped = inNetns();
  CHECK_MESSAGE(has(scoped, "tcp4:" + p + " EACCES"), scoped);
  CHECK(has(scoped, "tcp6:" + p + " EACCES"));
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " ok"));  // here it holds
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp", "--any-netns"}).status == 0);
  CHECK(has(slurp(kFile), " tcp " + p + " any-netns\n"));
  std::string wide = inNetns();
  CHECK_MESSAGE(has(wide, "tcp4:" + p + " ok"), wide);
  CHECK(has(wide, "tcp6:" + p + " ok"));
  // privbind itself refuses to apply from another network namespace.
  RunResult r = run({"unshare", "-n", privbindPath(), "grants", "apply"});
  CHECK(r.status == 125);
  CHECK(has(r.err, "privbind: network namespace: "));
}

TEST_CASE("a group grant counts the primary group") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice(1);
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  RunResult g = pb({"grant", "-g", alice.name(), "-p", p, "--udp"});
  REQUIRE_MESSAGE(g.status == 0, g.err);
  CHECK(has(binds(alice, {"udp4:" + p}), "udp4:" + p + " ok"));
  // The same user with another primary group: not granted.
  RunResult other =
      run({"setpriv", "--reuid=" + str(alice.uid()), "--regid=65534", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all", "--", bindsProgram(), "seq", "udp4:" + p});
  CHECK(has(other.out, "udp4:" + p + " EACCES"));
}

TEST_CASE("an older privbind's programs are swapped in place; a granted bind loop never fails") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  // The older version: other programs under the same names, attached at privbind's pins.
  TempDir dir;
  const std::string src = sourceDir() + "/../../src";
  std::string multiarch = run({"cc", "-print-multiarch"}).out;
  if (!multiarch.empty() && multiarch.back() == '\n') multiarch.pop_back();
  RunResult cc =
      run({"clang", "-target", "bpf", "-O2", "-g", "-I" + src, "-I/usr/include/" + multiarch, "-c",
           sourceDir() + "/programs/grants_old.bpf.c", "-o", dir / "old.o"});
  REQUIRE_MESSAGE(cc.status == 0, cc.err);
  std::string loader = buildC("grants_old_loader.c", dir.path(), {"-lbpf"});
  std::string mount;
  {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
      auto sep = line.find(" - cgroup2 ");
      if (sep == std::string::npos) continue;
      std::istringstream f(line);
      std::string w;
      for (int i = 0; i < 5 && f >> w; ++i) mount = w;
      break;
    }
  }
  RunResult installed =
      run({loader, dir / "old.o", kPins + "/grants_map_v1", kPins + "/grants_config_v1", mount,
           kPins + "/grants_bind4", kPins + "/grants_bind6"});
  REQUIRE_MESSAGE(installed.status == 0, installed.out);
  RunResult drift = pb({"grants"});
  CHECK(drift.status == 1);
  CHECK_MESSAGE(has(drift.out, "link other-program"), drift.out);
  auto linkId = [&](const char* name) {
    RunResult s = run({"bpftool", "link", "show", "pinned", kPins + "/" + name});
    return s.out.substr(0, s.out.find(':'));
  };
  std::string id4 = linkId("grants_bind4"), id6 = linkId("grants_bind6");
  REQUIRE_FALSE(id4.empty());

  // Granted users bind in loops across the upgrade: two of them, over five upgrades (the older
  // programs put back before each), so that a moment without a program would be seen.
  std::string loop = buildC("grants_bind_loop.c", programDir());
  std::string stop = dir / "stop";
  Process binder1(asUser(alice, {loop, p, stop}));
  Process binder2(asUser(alice, {loop, p, stop}));
  REQUIRE(eventually([&] { return has(binder1.out(), "ready"); }, 10s));
  REQUIRE(eventually([&] { return has(binder2.out(), "ready"); }, 10s));
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    if (round > 0) {
      RunResult again =
          run({loader, dir / "old.o", kPins + "/grants_map_v1", kPins + "/grants_config_v1", mount,
               kPins + "/grants_bind4", kPins + "/grants_bind6"});
      REQUIRE_MESSAGE(again.status == 0, again.out);
      id4 = linkId("grants_bind4");
      id6 = linkId("grants_bind6");
    }
    RunResult upgrade = pb({"grants", "apply"});
    CHECK_MESSAGE(upgrade.status == 0, upgrade.err);
    CHECK(has(upgrade.err, "switched to this privbind's program"));
    usleep(50'000);
  }
  std::ofstream(stop) << "";
  REQUIRE(binder1.wait(10s) == std::optional<int>(0));
  REQUIRE(binder2.wait(10s) == std::optional<int>(0));
  CHECK_MESSAGE(has(binder1.out(), " failures 0\n"), binder1.out());
  CHECK_MESSAGE(has(binder2.out(), " failures 0\n"), binder2.out());
  CHECK_FALSE(has(binder1.out(), "binds 0 "));
  // The same links, new programs: BPF_LINK_UPDATE, no detach.
  CHECK(linkId("grants_bind4") == id4);
  CHECK(linkId("grants_bind6") == id6);
  CHECK(pb({"grants"}).status == 0);
}
}

TEST_SUITE("grants") {
TEST_CASE("doctor shows the standing grants, their drift, and counts a grant for -u USER") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice, bob;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  RunResult host = pb({"doctor"});
  CHECK_MESSAGE(has(host.out, "standing grant: user " + alice.name() + " (uid " + str(alice.uid()) +
                                  ") tcp " + p),
                host.out);
  CHECK_FALSE(has(host.out, "standing grants: "));  // no drift
  RunResult target = pb({"doctor", "-u", alice.name(), "/bin/true"});
  CHECK_MESSAGE(has(target.out, "a standing grant lets " + alice.name() + " bind tcp " + p),
                target.out);
  // The bind verdict counts it, for those ports.
  CHECK_MESSAGE(has(target.out, "binds reserved ports on its own (a standing grant of " +
                                    alice.name() + "'s: tcp " + p + " only)"),
                target.out);
  RunResult json = pb({"doctor", "--json", "-u", alice.name(), "/bin/true"});
  CHECK_MESSAGE(has(json.out, "\"binds_as_user\":true"), json.out);
  // Negative control: another user has none.
  RunResult other = pb({"doctor", "-u", bob.name(), "/bin/true"});
  CHECK_FALSE(has(other.out, "a standing grant lets"));
  CHECK(has(other.out, "[no]   binds reserved ports on its own"));
  // Drift is a problem: exit 1 and the reason.
  REQUIRE(unlink((kPins + "/grants_bind4").c_str()) == 0);
  RunResult drift = pb({"doctor"});
  CHECK(drift.status == 1);
  CHECK_MESSAGE(has(drift.out, "PROBLEM: standing grants: IPv4 (cgroup/bind4) link missing"),
                drift.out);
  // A grant that is not enforced does not count for -u.
  CHECK_FALSE(has(pb({"doctor", "-u", alice.name(), "/bin/true"}).out, "a standing grant lets"));
}
}

TEST_SUITE("grants") {
TEST_CASE("a name that no longer maps to its id is reported; revoke still finds it") {
  REQUIRE_GRANTS();
  Fixture fixture;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  std::string name;
  uid_t uid = 0;
  {
    TestUser gone;
    name = gone.name();
    uid = gone.uid();
    REQUIRE(pb({"grant", "-u", name, "-p", p, "--tcp"}).status == 0);
    CHECK(pb({"grants"}).status == 0);  // negative control: the name still maps
  }
  RunResult r = pb({"grants"});
  CHECK(r.status == 1);
  CHECK_MESSAGE(
      has(r.out, "user " + name + " no longer exists; the grant stays with uid " + str(uid)),
      r.out);
  RunResult revoked = pb({"revoke", "-u", name});
  CHECK_MESSAGE(revoked.status == 0, revoked.err);
  CHECK(has(revoked.out, "revoked: user " + name));
  CHECK(pb({"grants"}).status == 0);
}
}

TEST_SUITE("grants") {
// privbind -m cgroup for a user who also holds a standing grant: the kernel grants a bind that
// either allows, so -p, -n and --max-bound cannot hold back what the standing grant allows;
// privbind's programs leave such binds alone: not counted, not refused, never said to be.
TEST_CASE(
    "cgroup mode beside a standing grant: what the grant allows is neither counted nor said") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice;
  uint16_t a = freeReservedPort(), b = freeReservedPort();
  while (b == a) b = freeReservedPort();
  const std::string pa = str(a), pb_ = str(b);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", pa, "--tcp"}).status == 0);
  // -p A,B -n 1: TCP on A is the standing grant's (v4 and v6, not counted), TCP on B takes the one
  // bind of -n, so TCP v6 on B is refused, and so is UDP on A (no standing grant for UDP).
  RunResult r =
      runPipedStderr({privbindPath(), "-m", "cgroup", "-u", alice.name(), "-p", pa + "," + pb_,
                      "-n", "1", "--", bindsProgram(), "seq", "tcp4:" + pa, "tcp6:" + pa,
                      "tcp4:" + pb_, "tcp6:" + pb_, "udp4:" + pa});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out == "tcp4:" + pa + " ok\ntcp6:" + pa + " ok\ntcp4:" + pb_ + " ok\ntcp6:" + pb_ +
                     " EACCES\nudp4:" + pa + " EACCES\n");
  // The refusals are said, once per port; the standing grant's binds are not.
  CHECK_MESSAGE(has(r.err, "privbind: port " + pb_ + "/tcp: bind refused: -n 1"), r.err);
  CHECK_MESSAGE(has(r.err, "privbind: port " + pa + "/udp: bind refused: -n 1"), r.err);
  CHECK_FALSE(has(r.err, "port " + pa + "/tcp"));
  // The control: without the standing grant, TCP on A is cgroup mode's and takes the one bind.
  REQUIRE(pb({"revoke", "-u", alice.name()}).status == 0);
  RunResult without =
      runPipedStderr({privbindPath(), "-m", "cgroup", "-u", alice.name(), "-p", pa + "," + pb_,
                      "-n", "1", "--", bindsProgram(), "seq", "tcp4:" + pa, "tcp4:" + pb_});
  CHECK(without.out == "tcp4:" + pa + " ok\ntcp4:" + pb_ + " EACCES\n");
  CHECK_MESSAGE(has(without.err, "privbind: port " + pb_ + "/tcp: bind refused: -n 1"),
                without.err);
}
}

TEST_SUITE("grants") {
// A host without standing grants runs none of their programs; and after `grants off` a revoke
// must not put the other grants back in force.
TEST_CASE("the last revoke detaches the programs; a revoke after 'grants off' changes the file") {
  REQUIRE_GRANTS();
  Fixture fixture;
  TestUser alice, bob;
  uint16_t port = freeReservedPort();
  const std::string p = str(port);
  REQUIRE(pb({"grant", "-u", alice.name(), "-p", p, "--tcp"}).status == 0);
  REQUIRE(pb({"grant", "-u", bob.name(), "-p", p, "--tcp"}).status == 0);
  REQUIRE(exists(kPins + "/grants_bind4"));
  REQUIRE(pb({"grants", "off"}).status == 0);
  REQUIRE_FALSE(exists(kPins + "/grants_bind4"));
  RunResult r = pb({"revoke", "-u", bob.name()});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK_MESSAGE(has(r.err, "standing grants are off"), r.err);
  CHECK_FALSE(has(slurp(kFile), bob.name()));
  CHECK(has(slurp(kFile), alice.name()));
  // Still off: alice's grant is in the file, not in force.
  CHECK_FALSE(exists(kPins + "/grants_bind4"));
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " EACCES"));
  REQUIRE(pb({"grants", "apply"}).status == 0);
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " ok"));
  // The last grant revoked: nothing stays attached, and that is the file's state.
  r = pb({"revoke", "-u", alice.name()});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK_MESSAGE(has(r.err, "the programs are detached"), r.err);
  CHECK_FALSE(exists(kPins + "/grants_bind4"));
  CHECK_FALSE(exists(kPins + "/grants_bind6"));
  RunResult s = pb({"grants"});
  CHECK_MESSAGE(s.status == 0, s.out, s.err);
  CHECK(has(binds(alice, {"tcp4:" + p}), "tcp4:" + p + " EACCES"));
}
}
