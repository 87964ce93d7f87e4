// A hostile app talking to the helper directly: every malformed request gets the right error,
// the helper closes every descriptor it was sent, and it still serves a good request after.
// Another user cannot reach the helper at all, and a flood by one changes nothing for the app.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "broker_support.h"
#include "support.h"

using namespace testsupport;
using namespace brokertest;

namespace {

void signalFifo(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);  // blocks until the program opens it
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "go\n", 3) == 3);
  close(fd);
}

std::map<std::string, std::string> results(const std::string& out) {
  std::map<std::string, std::string> m;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto sp = line.find(' ');
    if (sp != std::string::npos) m[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return m;
}

}  // namespace

TEST_SUITE("broker_hostile") {

TEST_CASE("malformed requests are refused, descriptors closed, the helper carries on") {
  TempDir dir;
  std::string prog = buildC("broker_hostile.c", dir.path());
  std::string fifo = dir / "control";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(chown(fifo.c_str(), kNobody, 65534) == 0);
  uint16_t allowed = freeReservedPort();
  uint16_t denied = allowed == 999 ? 998 : allowed + 1;
  Process p({privbindPath(), "--mode=broker", "-v", "-u", "nobody", "-p", str(allowed), "--", prog,
             str(allowed), str(denied), fifo});
  pid_t helper = waitForHelper(p);
  REQUIRE_MESSAGE(helper > 0, p.err());
  REQUIRE(helper != p.pid());
  // At rest: 0-2, its end of the channel, and (while privbind's process, the app, lives) a copy
  // of the caller's stderr and a pidfd of that process.
  REQUIRE(eventually([&] { return fdCount(helper) == 6; }));
  const int baseline = fdCount(helper);

  signalFifo(fifo);
  REQUIRE_MESSAGE(
      eventually([&] { return p.out().find("hostile done") != std::string::npos; }, 180s), p.out(),
      p.err());
  auto m = results(p.out());
  const std::string einval = str(EINVAL);
  // No usable reply end (one descriptor, three, thirteen, a reply end that is not a unix
  // seqpacket socket): nobody to answer, the reply end is closed unanswered.
  CHECK(m["nofd"] == "eof");
  CHECK(m["twofds"] == "eof");
  CHECK(m["twofds-unbound"] == "0 0");  // neither socket was bound
  CHECK(m["twelvefds"] == "eof");
  CHECK(m["reply-stream"] == "eof");
  CHECK(m["reply-dgram"] == "silence");  // datagrams have no end-of-file
  CHECK(m["reply-unbound"] == "0");
  CHECK(m["file"] == str(ENOTSOCK));
  CHECK(m["pipe"] == str(ENOTSOCK));
  CHECK(m["unix"] == str(EAFNOSUPPORT));
  CHECK(m["v6socket"] == str(EAFNOSUPPORT));
  CHECK(m["short"] == einval);
  CHECK(m["empty"] == einval);  // a zero-length record is malformed, not a hang-up
  CHECK(m["long"] == einval);
  CHECK(m["oversized"] == einval);
  CHECK(m["magic"] == einval);
  CHECK(m["version"] == einval);
  CHECK(m["addrlen"] == einval);
  CHECK(m["flags"] == einval);
  CHECK(m["port0"] == einval);
  CHECK(m["unreserved"] == einval);
  CHECK(m["denied"] == str(EACCES));
  CHECK(m["tcp-unbound"] == "0");
  CHECK(m["tcp-unbound-after-noreply"] == "0");
  CHECK(m["flood-wrong"] == "0");
  // -v: refusals are logged, but at most ten lines per ten seconds plus a count of the rest,
  // although more than 100,000 records were refused.
  size_t refusals = 0;
  for (size_t at = 0; (at = p.err().find(": refused: ", at)) != std::string::npos; ++at) ++refusals;
  CHECK(refusals >= 1);
  CHECK(refusals <= 40);
  CHECK(eventually(
      [&] { return p.err().find("more refusals in 10 s not logged") != std::string::npos; }, 15s));

  // Every descriptor it was sent is closed again; it still runs as before.
  CHECK(eventually([&] { return fdCount(helper) == baseline; }));
  CHECK_FALSE(gone(helper));
  CHECK(status(helper).capEff == kNetBind);
  // The -p refusal, said once although the port was tried over and over.
  const std::string said =
      "privbind: port " + str(denied) + "/tcp: bind refused: not in -p " + str(allowed) + "\n";
  size_t at = p.err().find(said);
  CHECK(at != std::string::npos);
  CHECK(p.err().find(said, at + 1) == std::string::npos);

  signalFifo(fifo);
  REQUIRE(p.wait(30s) == 0);
  CHECK(results(p.out())["good"] == "0 " + str(allowed));
  CHECK(eventually([&] { return gone(helper); }, 1s));
}

TEST_CASE("another user cannot reach the helper; a flood by 16 of its processes changes nothing") {
  TestUser intruder;
  TempDir dir;
  std::string prog = buildC("broker_intruder.c", dir.path());
  uint16_t port = freeReservedPort();
  // The app: privileged binds of one reserved port, over and over, for 8 seconds.
  std::string code =
      "import os, socket, sys, time\n"
      "print('channel', os.environ['PRIVBIND_LIFELINE'], flush=True)\n"
      "ok = fail = 0\n"
      "worst = 0.0\n"
      "end = time.monotonic() + 8\n"
      "while time.monotonic() < end:\n"
      "    s = socket.socket()\n"
      "    t0 = time.monotonic()\n"
      "    try:\n"
      "        s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "        ok += 1\n"
      "    except OSError as e:\n"
      "        fail += 1\n"
      "        print('fail', e.errno, flush=True)\n"
      "    worst = max(worst, time.monotonic() - t0)\n"
      "    s.close()\n"
      "    time.sleep(0.01)\n"
      "print('binds', ok, 'fails', fail, 'worst_ms', int(worst * 1000), flush=True)\n";
  // In a network namespace of its own (only lo), so that the abstract sockets other programs on
  // this machine listen on are out of sight: every privbind name /proc/net/unix shows would be
  // this helper's.
  if (run({"unshare", "--net", "--", "true"}).status != 0)
    SKIP_TEST("cannot create a network namespace here");
  auto argv = broker({"-v", "-u", "nobody"}, {python(), "-c", code, str(port)});
  std::vector<std::string> inNs = {
      "unshare", "--net", "--", "/bin/sh", "-c", "ip link set lo up && exec \"$@\"", "sh"};
  inNs.insert(inNs.end(), argv.begin(), argv.end());
  Process app(inNs);
  int channel = -1;
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto at = app.out().find("channel ");
                        if (at == std::string::npos) return false;
                        channel = std::stoi(app.out().substr(at + 8));
                        return true;
                      },
                      10s),
                  app.err());
  // 16 processes of the other user, each trying every way in for 5 seconds.
  std::vector<std::unique_ptr<Process>> flood;
  for (int i = 0; i < 16; ++i)
    flood.push_back(std::make_unique<Process>(
        std::vector<std::string>{"nsenter", "--net=/proc/" + str(app.pid()) + "/ns/net", "--",
                                 "setpriv", "--reuid=" + intruder.name(), "--regid=65534",
                                 "--clear-groups", "--", prog, str(app.pid()), str(channel), "5"}));
  for (auto& f : flood) {
    REQUIRE(f->wait(30s) == 0);
    std::istringstream in(f->out());
    std::string w;
    long rounds = -1, connected = -1, found = -1;
    int connectErr = -1, openErr = -1, getfdErr = -1;
    in >> w >> rounds >> w >> connected >> w >> found >> w >> connectErr >> w >> openErr >> w >>
        getfdErr;
    CAPTURE(f->out());
    CHECK(rounds > 100);          // it really tried, in a loop
    CHECK(connected == 0);        // never connected, opened or took the channel
    CHECK(found == 0);            // and no socket of privbind's has a name to dial
    CHECK(connectErr == EACCES);  // /proc/PID/fd of another user's process: ptrace check
    CHECK(openErr == EACCES);
    CHECK(getfdErr == EPERM);  // pidfd_getfd(2) needs ptrace access too
  }
  REQUIRE_MESSAGE(app.wait(60s) == 0, app.out(), app.err());
  MESSAGE("app during the flood: " << app.out().substr(app.out().find("binds")));
  CHECK(app.out().find("fail ") == std::string::npos);
  auto m = results(app.out());
  CAPTURE(app.out());
  CHECK(std::stol(m["binds"]) > 50);
  CHECK(m["binds"].find("fails 0 ") != std::string::npos);
  // privbind's stderr with -v: the start line and one line per bind; nothing about the other
  // user (it never got anywhere near the helper).
  std::istringstream err(app.err());
  int other = 0;
  for (std::string line; std::getline(err, line);)
    if (line.find(": ok") == std::string::npos && line.find("broker mode:") == std::string::npos)
      ++other;
  CHECK_MESSAGE(other <= 3, app.err());

  // Negative control: the same program as the app's own user gets further (the link resolves to
  // the channel, which is not listening): the EACCES above is the uid boundary, not a bad path.
  Process app2(broker({"-u", "nobody"}, {python(), "-c",
                                         "import os, time\n"
                                         "print('channel', os.environ['PRIVBIND_LIFELINE'], "
                                         "flush=True)\n"
                                         "time.sleep(3)\n"}));
  REQUIRE(eventually([&] { return app2.out().find("channel ") != std::string::npos; }, 10s));
  int channel2 = std::stoi(app2.out().substr(app2.out().find("channel ") + 8));
  RunResult same = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", prog,
                        str(app2.pid()), str(channel2), "1"});
  CAPTURE(same.out);
  CHECK(same.out.find("connect " + str(ECONNREFUSED) + " ") != std::string::npos);
  CHECK(app2.wait(30s) == 0);
}

TEST_CASE("an app that starves the helper of descriptors: EACCES at once, no spinning, recovery") {
  // Same uid, so the app may prlimit(2) the helper. With RLIMIT_NOFILE at 3 no received
  // descriptor fits (0-2 are always open; the kernel drops them and flags MSG_CTRUNC), so the
  // helper has no reply end: the shim reads end-of-file and the bind fails with EACCES at once;
  // the helper must not spin meanwhile, and it must serve again once the limit is back.
  uint16_t port = freeReservedPort();
  TempDir dir;
  std::string fifo = dir / "helper-pid";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(chown(fifo.c_str(), kNobody, 65534) == 0);
  std::string code =
      "import os, resource, socket, struct, sys, time\n"
      "pid = int(open(sys.argv[2]).read())\n"
      "soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)\n"
      "resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, hard))\n"
      "print('helper', pid, flush=True)\n"
      "s = socket.socket()\n"
      "t0 = time.monotonic()\n"
      "try:\n"
      "    s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "    print('starved ok', flush=True)\n"
      "except OSError as e:\n"
      "    print('starved', e.errno, round(time.monotonic() - t0), flush=True)\n"
      "time.sleep(1)\n"
      "resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))\n"
      "s = socket.socket()\n"
      "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "print('recovered', s.getsockname()[1], flush=True)\n";
  Process p({privbindPath(), "--mode=broker", "-v", "-u", "nobody", "--", python(), "-c", code,
             str(port), fifo});
  pid_t helper = waitForHelper(p);
  REQUIRE_MESSAGE(helper > 0, p.err());
  { std::ofstream(fifo) << helper; }
  auto cpuTicks = [&] {
    std::ifstream in("/proc/" + str(helper) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
  };
  const long before = cpuTicks();
  REQUIRE_MESSAGE(eventually([&] { return results(p.out()).count("starved") > 0; }, 20s), p.out(),
                  p.err());
  const long during = cpuTicks();
  // A helper spinning on poll would burn about 100 ticks a second (USER_HZ 100).
  CHECK(during - before < 50);
  REQUIRE_MESSAGE(p.wait(30s) == 0, p.out(), p.err());
  auto m = results(p.out());
  CHECK(m["starved"] == str(EACCES) + " 0");
  CHECK(m["recovered"] == str(port));
}

}  // TEST_SUITE("broker_hostile")
