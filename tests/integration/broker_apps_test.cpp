// Broker mode with real programs doing what real programs do: many threads, forked children, a
// wrapper script, a daemon that closes every descriptor, IPv6, UDP and a Java ServerSocket.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "broker_support.h"
#include "support.h"

using namespace testsupport;
using namespace brokertest;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_SUITE("broker_apps") {

TEST_CASE("64 threads bind at once; every reply reaches its own caller") {
  TempDir dir;
  std::string prog = buildC("broker_many.c", dir.path());
  uint16_t port = freeReservedPort();
  RunResult r = run(broker({"-u", "nobody"}, {prog, "-t", "64", str(port)}), 60s);
  CHECK_MESSAGE(r.status == 0, r.out, r.err);
  CHECK(r.out.find("done 64/64\n") != std::string::npos);
  CHECK(r.out.find("FAIL") == std::string::npos);
}

TEST_CASE("forked children bind at once") {
  TempDir dir;
  std::string prog = buildC("broker_many.c", dir.path());
  uint16_t port = freeReservedPort();
  RunResult r = run(broker({"-u", "nobody"}, {prog, "-f", "24", str(port)}), 60s);
  CHECK_MESSAGE(r.status == 0, r.out, r.err);
  CHECK(r.out.find("done 24/24\n") != std::string::npos);
}

TEST_CASE("a wrapper script runs the real server as its child") {
  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  uint16_t port = freeReservedPort();
  // Like catalina.sh: sh stays the parent and the server is its child.
  Process p(broker({"-u", "nobody"},
                   {"/bin/sh", "-c", "\"$0\" -c 2 \"$1\"; echo wrapper done", server, str(port)}));
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), p.err());
  std::string line = tcpRead("127.0.0.1", port);
  CHECK(line.starts_with("uid=65534 euid=65534 pid="));
  CHECK(line.find("pid=" + str(p.pid()) + "\n") == std::string::npos);  // a child, not sh
  CHECK(p.wait() == 0);
  CHECK(p.out() == "bound " + str(port) + "\nwrapper done\n");
}

TEST_CASE("a daemon that closes every descriptor and binds a second later") {
  for (std::string how : {"loop", "closefrom", "close_range", "dup2"}) {
    CAPTURE(how);
    TempDir dir;
    chmod(dir.path().c_str(), 0777);
    std::string prog = buildC("daemon.c", dir.path());
    uint16_t port = freeReservedPort();
    std::string report = dir / "report";
    Process p(broker({"-v", "-u", "nobody"}, {prog, how, str(port), report}));
    pid_t helper = waitForHelper(p);
    REQUIRE(helper > 0);
    // The parent exits at once: privbind's process is gone, the grandchild is not.
    REQUIRE(p.wait(10s) == 0);
    CHECK_FALSE(gone(helper));
    REQUIRE_MESSAGE(eventually([&] { return !slurp(report).empty(); }, 10s), p.err());
    std::string text = slurp(report);
    CHECK(text.starts_with("bound " + str(port) + "\nlifeline "));
    // The lifeline's number: where privbind put it, or (dup2 onto it) moved to 100 and up.
    int lifeline = std::stoi(text.substr(text.rfind(' ') + 1));
    if (how == "dup2")
      CHECK(lifeline >= 100);
    else
      CHECK(lifeline < 100);
    CHECK(tcpRead("127.0.0.1", port) == "daemon\n");
    // The grandchild answered its one client and exited: the helper follows within a second.
    CHECK(eventually([&] { return gone(helper); }, 1500ms));
  }
}

TEST_CASE("a daemon read through a pipe: privbind returns once its process is gone") {
  // `out=$(privbind -m broker ... daemon 2>&1)`: the daemon puts /dev/null on its stdio and binds
  // after the started process exited. The helper must let go of the caller's stderr when
  // privbind's process is gone, or the reader waits as long as the daemon lives.
  TempDir dir;
  chmod(dir.path().c_str(), 0777);  // the daemon, as nobody, writes its pid file and report here
  std::string prog = buildC("daemon.c", dir.path());
  uint16_t port = freeReservedPort();
  auto start = std::chrono::steady_clock::now();
  RunResult r = runPipedStderr(
      broker({"-v", "-u", "nobody"}, {prog, "null", str(port), dir / "report", dir / "pid"}), 20s);
  auto took = std::chrono::steady_clock::now() - start;
  KillAtEnd daemon{.program = prog};
  REQUIRE(eventually([&] { return !slurp(dir / "pid").empty(); }, 10s));
  daemon.pid = static_cast<pid_t>(std::stol(slurp(dir / "pid")));
  CHECK_FALSE(r.timedOut);
  CHECK(r.status == 0);
  CHECK(took < 10s);
  // What privbind said while its process lived did reach the pipe.
  pid_t helper = helperPidFrom(r.err);
  CHECK_MESSAGE(helper > 0, r.err);
  // The helper still serves the daemon: its bind, made after privbind's process was gone.
  REQUIRE_MESSAGE(eventually([&] { return !slurp(dir / "report").empty(); }, 10s), r.err);
  CHECK(slurp(dir / "report").starts_with("bound " + str(port) + "\n"));
  CHECK(tcpRead("127.0.0.1", port) == "daemon uid=65534\n");
  CHECK_FALSE(gone(helper));
  // It holds nothing of the caller's: fds 0-2 are /dev/null.
  for (int fd = 0; fd <= 2; ++fd) {
    char target[64] = {};
    std::string link = "/proc/" + str(helper) + "/fd/" + str(fd);
    CHECK(readlink(link.c_str(), target, sizeof target - 1) > 0);
    CHECK(std::string(target) == "/dev/null");
  }
  ::kill(daemon.pid, SIGKILL);  // started by this test's command; its pid is the one it wrote
  CHECK(eventually([&] { return gone(helper); }, 2s));
}

TEST_CASE("IPv6 with IPV6_V6ONLY on ::1") {
  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  uint16_t port = freeReservedPort();
  Process p(broker({"-u", "nobody"}, {server, "-6", "-c", "2", str(port)}));
  REQUIRE_MESSAGE(waitForTcp("::1", port), p.err());
  CHECK(tcpRead("::1", port).starts_with("uid=65534 "));
  CHECK(p.wait() == 0);
  // IPV6_V6ONLY held: nothing listened on 127.0.0.1 meanwhile (checked by bind_server's -6).
}

TEST_CASE("UDP on 127.0.0.1 and ::1") {
  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  for (std::string host : {"127.0.0.1", "::1"}) {
    CAPTURE(host);
    uint16_t port = freeReservedPort();
    Process p(broker({"-u", "nobody"},
                     {server, host == "::1" ? "-6" : "-4", "-U", "-c", "1", str(port)}));
    REQUIRE_MESSAGE(eventually([&] { return p.out().find("bound") != std::string::npos; }, 10s),
                    p.err());
    CHECK(udpAsk(host, port).starts_with("uid=65534 euid=65534 pid=" + str(p.pid())));
    CHECK(p.wait() == 0);
  }
}

TEST_CASE("a Java ServerSocket on the dual-stack wildcard, in a loopback-only namespace") {
  if (run({"unshare", "--net", "--", "true"}).status != 0) {
    MESSAGE("skipped: cannot create a network namespace here");
    return;
  }
  // [::] is every address; a fresh network namespace has only lo, so nothing leaves loopback.
  const uint16_t port = 80;
  std::string script =
      "ip link set lo up && exec \"$0\" --mode=broker -v -u nobody -- java \"$1\" \"$2\"";
  Process server({"unshare", "--net", "--", "/bin/sh", "-c", script, privbindPath(),
                  sourceDir() + "/programs/Server.java", str(port)});
  REQUIRE_MESSAGE(eventually([&] { return server.out().find("bound") != std::string::npos; }, 60s),
                  server.err());
  expectCredentials(server.pid(), {.uid = kNobody, .gid = 65534, .groups = {65534}});
  CHECK(server.err().find("bind [::]:80: ok") != std::string::npos);
  std::string ns = "--net=/proc/" + str(server.pid()) + "/ns/net";
  for (std::string host : {"127.0.0.1", "::1"}) {
    RunResult client = run({"nsenter", ns, "--", python(), "-c",
                            "import socket; s=socket.create_connection(('" + host + "'," +
                                str(port) + "), 5); print(s.recv(100).decode(), end='')"});
    CHECK_MESSAGE(client.out == "hello from java\n", host, client.err);
  }
  server.kill(15);
  CHECK(server.wait(30s).has_value());
}

}  // TEST_SUITE("broker_apps")
