// Broker mode, end to end: a real server run through the shim and the helper, the privilege
// state of both read back from the kernel, the options and the exact errno of every refusal.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "broker_support.h"
#include "support.h"

using namespace testsupport;
using namespace brokertest;

namespace {

// A python3 program that binds TCP sockets on 127.0.0.1 and prints one line per bind:
// "PORT ok" or "PORT <errno name>". Options per port: "r" sets SO_REUSEPORT first.
std::vector<std::string> pyBinds(const std::vector<std::string>& specs) {
  std::string code =
      "import socket, sys, errno\n"
      "keep = []\n"
      "for spec in sys.argv[1:]:\n"
      "    port, _, opts = spec.partition(':')\n"
      "    s = socket.socket()\n"
      "    if 'r' in opts: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
      "    if 'a' in opts: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
      "    try:\n"
      "        s.bind(('127.0.0.1', int(port)))\n"
      "        rp = s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)\n"
      "        ra = s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)\n"
      "        print(port, 'ok', 'reuseport=%d' % rp, 'reuseaddr=%d' % ra, 'got=%d' % "
      "s.getsockname()[1])\n"
      "    except OSError as e:\n"
      "        print(port, errno.errorcode[e.errno])\n"
      "    keep.append(s)\n"
      "sys.stdout.flush()\n";
  std::vector<std::string> argv = {python(), "-c", code};
  argv.insert(argv.end(), specs.begin(), specs.end());
  return argv;
}

}  // namespace

TEST_SUITE("broker") {

TEST_CASE("python3 http.server: the app holds no capability, the helper only one") {
  TempDir dir;
  { std::ofstream(dir / "index.html") << "hello from privbind broker mode\n"; }
  uint16_t port = freeReservedPort();
  Process server(
      broker({"-v", "-u", "nobody"}, {python(), "-m", "http.server", std::to_string(port), "--bind",
                                      "127.0.0.1", "--directory", dir.path()}));
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), server.err());
  std::string page = httpGet("127.0.0.1", port, "/index.html");
  CHECK(page.find("200 OK") != std::string::npos);
  CHECK(page.find("hello from privbind broker mode") != std::string::npos);

  // Exec in place: privbind's pid is the server's.
  std::string cmdline;
  std::getline(std::ifstream("/proc/" + str(server.pid()) + "/cmdline"), cmdline, '\0');
  CHECK(cmdline == python());
  // No capability in any set, the user's own groups.
  expectCredentials(server.pid(), {.uid = kNobody, .gid = 65534, .groups = {65534}});
  auto app = status(server.pid());

  // The helper: the command's uid, no groups, CAP_NET_BIND_SERVICE alone, not inheritable.
  pid_t helper = waitForHelper(server);
  REQUIRE(helper > 0);
  expectCredentials(helper, {.uid = kNobody,
                             .gid = 65534,
                             .groups = {},
                             .prm = kNetBind,
                             .eff = kNetBind,
                             .bnd = kNetBind});
  auto hs = status(helper);
  CHECK(hs.seccomp == 2);  // filter mode: the allowlist is on
  CHECK(app.seccomp == 0);
  CHECK(notDumpable(helper));
  CHECK_FALSE(notDumpable(server.pid()));  // the check can tell the difference
  // Not the app's child: no SIGCHLD, no zombie for it to reap.
  pid_t parent = 0;
  CHECK(procState(helper, &parent) != 0);
  CHECK(parent != server.pid());
  CHECK(firstChild(server.pid()) != helper);
  // 0-2 on /dev/null, a copy of the caller's stderr and a pidfd of privbind's process (both
  // kept while that process lives), and its end of the channel: nothing else.
  CHECK(fdCount(helper) == 6);
  CHECK(server.err().find("privbind: helper: app pid " + str(server.pid()) +
                          " bind 127.0.0.1:" + str(port) + ": ok") != std::string::npos);

  // When the app exits, the helper follows within a second.
  server.kill(15);
  REQUIRE(server.wait().has_value());
  CHECK(eventually([&] { return gone(helper); }, 1s));
}

TEST_CASE("without the shim's help the same bind fails: the test can fail") {
  uint16_t port = freeReservedPort();
  RunResult r = run(broker({"-u", "nobody", "-l", "/dev/null"}, {"true"}));
  CHECK(r.status == 125);  // /dev/null is no library: refused, not run
  // The same program as the same user, with no privbind at all: EACCES.
  RunResult plain =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
           "--bounding-set=-all", "--", python(), "-c", pyBinds({str(port)})[2], str(port)});
  CHECK(plain.out == str(port) + " EACCES\n");
}

TEST_CASE("errno is exact: EADDRINUSE for a taken port") {
  uint16_t port = freeReservedPort();
  int taken = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(taken, 1) == 0);
  RunResult r = run(broker({"-u", "nobody"}, pyBinds({str(port)})));
  close(taken);
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.out == str(port) + " EADDRINUSE\n", r.err);
}

TEST_CASE("-n: after NUM binds the helper holds nothing and privileged binds fail with EACCES") {
  uint16_t a = freeReservedPort(), b = freeReservedPort();
  if (a == b) b = a == 999 ? 998 : a + 1;
  auto start = std::chrono::steady_clock::now();
  RunResult r = run(broker({"-u", "nobody", "-n", "1"}, pyBinds({str(a), str(b), "2000"})));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  CHECK_MESSAGE(r.out == str(a) + " ok reuseport=0 reuseaddr=0 got=" + str(a) + "\n" + str(b) +
                             " EACCES\n2000 ok reuseport=0 reuseaddr=0 got=2000\n",
                r.err);
  // Without -v, the one line that says why b was refused.
  CHECK(r.err == "privbind: port " + str(b) +
                     "/tcp: bind refused: -n 1: the one privileged bind is used up (every bind "
                     "counts: UDP and TCP on one port are 2, on IPv4 and IPv6 4)\n");
  CHECK(took < 4s);  // promptly, not after a timeout

  // The helper, read back from /proc once the limit is reached: alive, no capability left.
  Process p(broker({"-v", "-u", "nobody", "-n", "1"},
                   {python(), "-c",
                    "import socket, sys, time\n"
                    "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                    "print('bound', flush=True); time.sleep(30)\n",
                    str(a)}));
  pid_t helper = waitForHelper(p);
  REQUIRE_MESSAGE(helper > 0, p.err());
  REQUIRE_MESSAGE(eventually([&] { return p.out() == "bound\n"; }), p.err());
  CHECK(eventually([&] { return status(helper).capPrm == 0; }));
  CHECK(status(helper).capEff == 0);
  CHECK_FALSE(gone(helper));
  CHECK(p.err().find("privbind: helper: -n 1 reached: CAP_NET_BIND_SERVICE dropped") !=
        std::string::npos);
}

TEST_CASE("--ports: other reserved ports get EACCES and one line") {
  uint16_t a = freeReservedPort(), b = freeReservedPort();
  if (a == b) b = a == 999 ? 998 : a + 1;
  RunResult r = run(broker({"-u", "nobody", "-p", str(a)}, pyBinds({str(b), str(a)})));
  CHECK(r.status == 0);
  CHECK_MESSAGE(
      r.out == str(b) + " EACCES\n" + str(a) + " ok reuseport=0 reuseaddr=0 got=" + str(a) + "\n",
      r.err);
  // Without -v, one line; allowed binds stay silent.
  CHECK(r.err == "privbind: port " + str(b) + "/tcp: bind refused: not in -p " + str(a) + "\n");
}

TEST_CASE("-v: one line per brokered bind, with pid, address and result") {
  uint16_t a = freeReservedPort();
  RunResult r = run(broker({"-v", "-u", "nobody"}, pyBinds({str(a), str(a)})));
  CHECK(r.status == 0);
  CHECK(r.err.find("bind 127.0.0.1:" + str(a) + ": ok\n") != std::string::npos);
  CHECK(r.err.find("bind 127.0.0.1:" + str(a) + ": Address already in use\n") != std::string::npos);
  CHECK(r.out ==
        str(a) + " ok reuseport=0 reuseaddr=0 got=" + str(a) + "\n" + str(a) + " EADDRINUSE\n");
}

TEST_CASE("SO_REUSEADDR and SO_REUSEPORT set by the app hold; --reuseport sets it") {
  uint16_t a = freeReservedPort();
  // The app's own options on its own socket: two sockets share the port.
  RunResult own = run(broker({"-u", "nobody"}, pyBinds({str(a) + ":ra", str(a) + ":ra"})));
  CHECK_MESSAGE(own.out == str(a) + " ok reuseport=1 reuseaddr=1 got=" + str(a) + "\n" + str(a) +
                               " ok reuseport=1 reuseaddr=1 got=" + str(a) + "\n",
                own.err);
  // Without the option the second bind is refused by the kernel...
  RunResult plain = run(broker({"-u", "nobody"}, pyBinds({str(a), str(a)})));
  CHECK(plain.out ==
        str(a) + " ok reuseport=0 reuseaddr=0 got=" + str(a) + "\n" + str(a) + " EADDRINUSE\n");
  // ...and with -r the helper sets SO_REUSEPORT before binding.
  RunResult r = run(broker({"-u", "nobody", "-r", str(a)}, pyBinds({str(a), str(a)})));
  CHECK_MESSAGE(r.out == str(a) + " ok reuseport=1 reuseaddr=0 got=" + str(a) + "\n" + str(a) +
                             " ok reuseport=1 reuseaddr=0 got=" + str(a) + "\n",
                r.err);
}

TEST_CASE("targets the shim cannot reach are refused with a pointer to the least-privileged mode") {
  TempDir dir;
  // The advice: cgroup mode where this host can do it (no capability at all), else caps mode.
  const std::string instead = cgroupModeUnavailable()
                                  ? "use --mode=caps (cgroup mode is not available here: "
                                  : "use --mode=cgroup (no capability, no preload library)";
  std::string dynamic = buildC("bind_server.c", dir.path());
  std::string statik;
  try {
    statik = buildC("bind_server.c", dir.path(), {"-static"});
  } catch (const std::exception& e) {
    MESSAGE("no static libc, static case skipped: " << e.what());
  }
  uint16_t port = freeReservedPort();
  if (!statik.empty()) {
    RunResult r = run(broker({"-u", "nobody"}, {statik, "-c", "1", str(port)}));
    CHECK(r.status == 125);
    CHECK(r.err.starts_with("privbind: " + statik + ": is statically linked"));
    CHECK(r.err.find(instead) != std::string::npos);
    CHECK(r.out.empty());

    // A script whose interpreter is static is just as unreachable.
    { std::ofstream(dir / "script") << "#!" << statik << "\n"; }
    chmod((dir / "script").c_str(), 0755);
    RunResult s = run(broker({"-u", "nobody"}, {dir / "script"}));
    CHECK(s.status == 125);
    CHECK(s.err.find("is statically linked") != std::string::npos);

    // --no-target-check runs it anyway: its bind then fails as the kernel says.
    RunResult anyway =
        run(broker({"-u", "nobody", "--no-target-check"}, {statik, "-c", "1", str(port)}));
    CHECK(anyway.status == 3);
    CHECK(anyway.out == "bind: Permission denied\n");
  }

  // Set-user-ID root: under no_new_privs (the default) execve(2) does not honour the bit, the
  // loader is not in secure-execution mode, the library loads and the server serves as the user.
  std::string suid = dir / "suid_server";
  REQUIRE(run({"cp", dynamic, suid}).status == 0);
  REQUIRE(chown(suid.c_str(), 0, 0) == 0);
  REQUIRE(chmod(suid.c_str(), 04755) == 0);
  REQUIRE(run({"chmod", "o+x", dir.path()}).status == 0);
  for (mode_t mode : {04755, 02755}) {
    CAPTURE(mode);
    REQUIRE(chmod(suid.c_str(), mode) == 0);
    Process served(broker({"-u", "nobody"}, {suid, "-c", "2", str(port)}));  // waitForTcp is one
    REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), served.err());
    CHECK(tcpRead("127.0.0.1", port).rfind("uid=65534 euid=65534", 0) == 0);
    CHECK(served.wait() == 0);
    CHECK(served.err() == "");
  }
  // --allow-setuid lets the bit count: the loader would ignore LD_PRELOAD, so it is refused.
  for (mode_t mode : {04755, 02755}) {
    REQUIRE(chmod(suid.c_str(), mode) == 0);
    RunResult r = run(broker({"-u", "nobody", "--allow-setuid"}, {suid, str(port)}));
    CHECK(r.status == 125);
    CHECK(r.err.starts_with("privbind: " + suid +
                            ": is set-user-ID or set-group-ID and "
                            "--allow-setuid lets the bit count"));
    CHECK_MESSAGE(r.err.find(instead) != std::string::npos, r.err);
  }

  // A Go program (its .go.buildinfo section) is refused even though it is dynamically linked.
  std::string go = buildC("go_marker.c", dir.path());
  RunResult g = run(broker({"-u", "nobody"}, {go}));
  CHECK(g.status == 125);
  CHECK(g.err.starts_with("privbind: " + go + ": is a Go program"));
  CHECK(g.err.find(instead) != std::string::npos);
  // Where BPF is not allowed (no CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN in the bounding set),
  // cgroup mode is not available: the advice is caps mode, with the reason.
  std::vector<std::string> withoutBpf = {"setpriv", "--bounding-set", "-sys_admin,-bpf,-net_admin",
                                         "--"};
  for (const auto& word : broker({"-u", "nobody"}, {go})) withoutBpf.push_back(word);
  RunResult noBpf = run(withoutBpf);
  CHECK(noBpf.status == 125);
  CHECK_MESSAGE(
      noBpf.err.find("; use --mode=caps (cgroup mode is not available here: ") != std::string::npos,
      noBpf.err);
  CHECK(run(broker({"-u", "nobody", "--no-target-check"}, {go})).status == 0);

  // A dynamic program found on PATH passes the check and runs.
  RunResult ok = run(broker({"-u", "nobody"}, {"true"}));
  CHECK(ok.status == 0);
  CHECK(ok.err.empty());
}

TEST_CASE("the preload library: -l, missing, unsafe") {
  RunResult missing = run(broker({"-u", "nobody", "-l", "/nonexistent/libx.so"}, {"true"}));
  CHECK(missing.status == 125);
  CHECK(missing.err == "privbind: -l/--preload /nonexistent/libx.so: No such file or directory\n");

  RootOnlyDir dir;
  REQUIRE(!dir.path().empty());
  std::string copy = dir / "libshim.so";
  REQUIRE(run({"cp", shimPath(), copy}).status == 0);
  chmod(copy.c_str(), 0664);
  RunResult writable = run(broker({"-u", "nobody", "-l", copy}, {"true"}));
  CHECK(writable.status == 125);
  CHECK(writable.err.find("is writable by group or others") != std::string::npos);

  // A readable copy given with -l, in a directory chain only root can write: used.
  chmod(copy.c_str(), 0644);
  uint16_t port = freeReservedPort();
  RunResult used = run(broker({"-v", "-u", "nobody", "-l", copy}, pyBinds({str(port)})));
  CHECK(used.status == 0);
  CHECK(used.err.find("preloading " + copy) != std::string::npos);
  CHECK(used.out.starts_with(str(port) + " ok"));

  // One the target user cannot read: refused before exec, not silently skipped by ld.so.
  chmod(copy.c_str(), 0600);
  RunResult unreadable = run(broker({"-u", "nobody", "-l", copy}, {"true"}));
  CHECK(unreadable.status == 125);
  CHECK(unreadable.err.starts_with("privbind: preload library " + copy));
}

TEST_CASE("-l: the library and every directory above it must be root's and not writable") {
  TestUser user;
  const std::string uid = str(static_cast<int>(user.uid()));
  RootOnlyDir dir;
  REQUIRE(!dir.path().empty());

  // The file owned by the other user, mode 0644 in a root-only directory: that user could
  // rewrite it at any time.
  std::string file = dir / "libshim.so";
  REQUIRE(run({"cp", shimPath(), file}).status == 0);
  chmod(file.c_str(), 0644);
  REQUIRE(chown(file.c_str(), user.uid(), 0) == 0);
  RunResult owned = run(broker({"-u", "nobody", "-l", file}, {"true"}));
  CHECK(owned.status == 125);
  CHECK_MESSAGE(owned.err == "privbind: preload library " + file + ": is owned by uid " + uid +
                                 ", not root\n",
                owned.err);

  // A root-owned file in a directory owned by the other user, mode 0755: that user can rename
  // another file over it.
  std::string sub = dir / "user";
  REQUIRE(mkdir(sub.c_str(), 0755) == 0);
  std::string inUserDir = sub + "/libshim.so";
  REQUIRE(run({"cp", shimPath(), inUserDir}).status == 0);
  chmod(inUserDir.c_str(), 0644);
  REQUIRE(chown(sub.c_str(), user.uid(), 0) == 0);
  RunResult dirOwned = run(broker({"-u", "nobody", "-l", inUserDir}, {"true"}));
  CHECK(dirOwned.status == 125);
  CHECK_MESSAGE(dirOwned.err == "privbind: preload library " + inUserDir + ": directory " + sub +
                                    " is owned by uid " + uid + ", not root\n",
                dirOwned.err);

  // Root's directory, writable by group: refused too; so is a sticky world-writable one.
  REQUIRE(chown(sub.c_str(), 0, 0) == 0);
  chmod(sub.c_str(), 0775);
  RunResult groupWritable = run(broker({"-u", "nobody", "-l", inUserDir}, {"true"}));
  CHECK(groupWritable.status == 125);
  CHECK(groupWritable.err == "privbind: preload library " + inUserDir + ": directory " + sub +
                                 " is writable by group or others\n");
  chmod(sub.c_str(), 01777);
  RunResult sticky = run(broker({"-u", "nobody", "-l", inUserDir}, {"true"}));
  CHECK(sticky.status == 125);
  CHECK(sticky.err == "privbind: preload library " + inUserDir + ": directory " + sub +
                          " is writable by group or others (sticky)\n");

  // Negative control: the same file, the same directory back to root's 0755: accepted.
  chmod(sub.c_str(), 0755);
  RunResult fine = run(broker({"-u", "nobody", "-l", inUserDir}, {"true"}));
  CHECK_MESSAGE(fine.status == 0, fine.err);
}

TEST_CASE("LD_PRELOAD already set is kept after the shim; environment variables for the shim") {
  RunResult r = run({"env", "LD_PRELOAD=libm.so.6", privbindPath(), "--mode=broker", "-u", "nobody",
                     "--", "/bin/sh", "-c", "echo \"$LD_PRELOAD|$PRIVBIND_LIFELINE\""});
  CHECK(r.status == 0);
  CHECK(r.out.starts_with(shimPath() + ":libm.so.6|"));
}

TEST_CASE("refused when CAP_NET_BIND_SERVICE is not in privbind's bounding set") {
  RunResult r = run({"setpriv", "--bounding-set=-net_bind_service", "--", privbindPath(),
                     "--mode=broker", "-u", "nobody", "--", "true"});
  CHECK(r.status == 125);
  CHECK(r.err.starts_with("privbind: cap_net_bind_service is not in privbind's bounding set"));
}

TEST_CASE("the shim alone: the lifeline survives close, closefrom, close_range and dup2") {
  TempDir dir;
  std::string prog = buildC("shim_lifeline.c", dir.path());
  RunResult with = run({"env", "LD_PRELOAD=" + shimPath(), prog});
  CHECK_MESSAGE(with.status == 0, with.err);
  CHECK(with.out == "ok\neof\n");   // protected while it ran, gone once it exited
  RunResult without = run({prog});  // the same program without the shim: the test can fail
  CHECK(without.status == 1);
  CHECK(without.out == "FAIL: close() closed the lifeline\neof\n");
}

TEST_CASE("the shim alone: no channel means EACCES at once, other binds untouched") {
  uint16_t port = freeReservedPort();
  auto start = std::chrono::steady_clock::now();
  RunResult r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--", "env",
                     "LD_PRELOAD=" + shimPath(), "PRIVBIND_LIFELINE=0000000009", python(), "-c",
                     pyBinds({})[2], str(port), "0", "2000", str(port)});
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK_MESSAGE(r.out.starts_with(str(port) + " EACCES\n0 ok reuseport=0 reuseaddr=0 got="), r.out,
                r.err);
  CHECK(r.out.find("\n2000 ok reuseport=0 reuseaddr=0 got=2000\n" + str(port) + " EACCES\n") !=
        std::string::npos);
}

TEST_CASE("bind() as libc's: EFAULT, errno untouched on success, EMFILE without descriptors") {
  TempDir dir;
  std::string prog = buildC("shim_errno.c", dir.path());
  uint16_t p1 = freeReservedPort();
  uint16_t p2 = p1 == 999 ? 998 : p1 + 1;
  const std::string efault = "efault -1 " + str(EFAULT) + "\n";
  const std::string success = "success 0 4242\n";

  // Brokered: the unreadable address is EFAULT (no crash inside the shim), a brokered success
  // leaves the preset errno alone, and no descriptor for the private pair is EMFILE.
  RunResult brokered = run(broker({"-u", "nobody"}, {prog, str(p1), str(p2)}));
  CHECK_MESSAGE(brokered.status == 0, brokered.err);
  CHECK(brokered.out == efault + success + "emfile -1 " + str(EMFILE) + "\n" + "after 0 4242\n");

  // Negative control: root binding directly gives the same EFAULT and the same untouched errno
  // (its bind needs no descriptor, so the third call simply succeeds there).
  RunResult direct = run({prog, str(p1), str(p2)});
  CHECK_MESSAGE(direct.status == 0, direct.err);
  CHECK(direct.out == efault + success + "emfile 0 4242\n" + "after -1 " + str(EINVAL) + "\n");

  // And the shim with no helper behind it: the kernel's EACCES, not EMFILE, for the same calls.
  RunResult alone =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
           "--bounding-set=-all", "--", "env", "LD_PRELOAD=" + shimPath(), prog, str(p1), str(p2)});
  CHECK(alone.out == efault + "success -1 " + str(EACCES) + "\nemfile -1 " + str(EACCES) +
                         "\nafter -1 " + str(EACCES) + "\n");
}

}  // TEST_SUITE("broker")
