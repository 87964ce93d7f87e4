// A hostile app talking to the helper directly: every malformed request gets the right error,
// the helper closes every descriptor it was sent, and it still serves a good request after.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <fstream>
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

// The helper's pid, as the test program running under privbind reports it ("helper N").
pid_t helperReported(Process& p) {
  pid_t helper = -1;
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        auto m = results(p.out());
                        if (!m.count("helper")) return false;
                        helper = static_cast<pid_t>(std::stol(m["helper"]));
                        return true;
                      },
                      10s),
                  p.err());
  return helper;
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
  Process p({privbindPath(), "--mode=broker", "-u", "nobody", "-p", str(allowed), "--", prog, str(allowed),
             str(denied), fifo});
  pid_t helper = helperReported(p);
  REQUIRE(helper > 0);
  REQUIRE(helper != p.pid());
  // At rest: 0-2, the listening socket and the lifeline.
  REQUIRE(eventually([&] { return fdCount(helper) == 5; }));
  const int baseline = fdCount(helper);

  signalFifo(fifo);
  REQUIRE_MESSAGE(eventually([&] { return p.out().find("hostile done") != std::string::npos; },
                             180s),
                  p.out(), p.err());
  auto m = results(p.out());
  const std::string einval = str(EINVAL);
  CHECK(m["nofd"] == einval);
  CHECK(m["twofds"] == einval);
  CHECK(m["twofds-unbound"] == "0 0");  // neither socket was bound
  CHECK(m["twelvefds"] == einval);
  CHECK(m["file"] == str(ENOTSOCK));
  CHECK(m["pipe"] == str(ENOTSOCK));
  CHECK(m["unix"] == str(EAFNOSUPPORT));
  CHECK(m["v6socket"] == str(EAFNOSUPPORT));
  CHECK(m["short"] == einval);
  CHECK(m["empty"] == "eof");  // a zero-length record reads as a hang-up: no reply
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
  CHECK(m["flood-wrong"] == "0");

  // Every descriptor it was sent is closed again; it still runs as before.
  CHECK(eventually([&] { return fdCount(helper) == baseline; }));
  CHECK_FALSE(gone(helper));
  CHECK(status(helper).capEff == kNetBind);
  // -p refusals are logged even without -v.
  CHECK(p.err().find("bind 127.0.0.1:" + str(denied) + ": Permission denied (port " +
                     str(denied) + " is not in --ports)") != std::string::npos);

  signalFifo(fifo);
  REQUIRE(p.wait(30s) == 0);
  CHECK(results(p.out())["good"] == "0 " + str(allowed));
  CHECK(eventually([&] { return gone(helper); }, 1s));
}

TEST_CASE("another user cannot use the helper") {
  // The helper serves nobody (65534); a client running as daemon (1) connects to the same
  // socket and gets no answer: its connection is closed unread.
  TempDir dir;
  std::string client = dir / "client.py";
  {
    std::ofstream(client)
        << "import os, socket, struct, sys\n"
           "name = sys.argv[1]\n"
           "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
           "s.settimeout(5)\n"
           "s.connect('\\0' + name)\n"
           "t = socket.socket()\n"
           "req = struct.pack('=IHHII', 0x31524250, 1, 2, 16, 0) + "
           "(struct.pack('=H', 2) + struct.pack('!H4s', int(sys.argv[2]), bytes([127,0,0,1])))"
           ".ljust(28, b'\\0')\n"
           "try:\n"
           "    s.sendmsg([req], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('i', t.fileno()))])\n"
           "    r = s.recv(64)\n"
           "    print('reply %d' % struct.unpack('=IHHi', r)[3] if r else 'refused')\n"
           "except (BrokenPipeError, ConnectionResetError):\n"
           "    print('refused')\n"
           "print('bound' if t.getsockname()[1] else 'unbound')\n";
  }
  chmod(client.c_str(), 0644);
  uint16_t port = freeReservedPort();
  // The app: sleeps while the other user tries; its socket name comes from its environment.
  Process app({privbindPath(), "--mode=broker", "-v", "-u", "nobody", "--", "/bin/sh", "-c",
               "echo \"$PRIVBIND_SOCKET\"; sleep 5"});
  std::string name;
  REQUIRE(eventually([&] {
    name = app.out();
    return name.size() > 10 && name.back() == '\n';
  }));
  name.pop_back();
  // The structure is sound: the same script as the right user gets a reply and a bound socket.
  RunResult same = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                        python(), client, name, str(port)});
  CHECK_MESSAGE(same.out == "reply 0\nbound\n", same.err);
  RunResult other = run({"setpriv", "--reuid=1", "--regid=1", "--clear-groups", "--", python(),
                         client, name, str(port == 999 ? 998 : port + 1)});
  CHECK_MESSAGE(other.out == "refused\nunbound\n", other.err);
  CHECK(app.err().find("uid 1 is not the command's user; connection closed") != std::string::npos);
}

TEST_CASE("an app that starves the helper of descriptors: EACCES, no spinning, recovery") {
  // Same uid, so the app may prlimit(2) the helper. With RLIMIT_NOFILE at 3 no new descriptor
  // fits (0-2 are always open), so the helper cannot accept; the bind must fail with EACCES after the shim's timeout, the helper
  // must not spin on poll meanwhile, and it must serve again once the limit is back.
  uint16_t port = freeReservedPort();
  std::string code =
      "import os, resource, socket, struct, sys, time\n"
      "name = os.environ['PRIVBIND_SOCKET']\n"
      "c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
      "c.connect('\\0' + name)\n"
      "pid = struct.unpack('3i', c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]\n"
      "c.close()\n"
      "time.sleep(0.2)\n"
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
      "time.sleep(0.3)\n"
      "s = socket.socket()\n"
      "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "print('recovered', s.getsockname()[1], flush=True)\n";
  Process p({privbindPath(), "--mode=broker", "-u", "nobody", "--", python(), "-c", code,
             str(port)});
  pid_t helper = helperReported(p);
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
  REQUIRE_MESSAGE(eventually([&] { return results(p.out()).count("starved") > 0; }, 20s),
                  p.out(), p.err());
  const long during = cpuTicks();
  // Five seconds with a connection it could not accept: a helper spinning on poll would have
  // burnt about 500 ticks (USER_HZ 100).
  CHECK(during - before < 50);
  REQUIRE_MESSAGE(p.wait(30s) == 0, p.out(), p.err());
  auto m = results(p.out());
  CHECK(m["starved"] == str(EACCES) + " 5");
  CHECK(m["recovered"] == str(port));
}

}  // TEST_SUITE
