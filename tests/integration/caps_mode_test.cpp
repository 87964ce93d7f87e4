// Caps mode, end to end: real servers on reserved loopback ports, real clients, and the running
// command's credentials read back from the kernel.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support.h"

using namespace testsupport;

namespace {

// The exact privilege state caps mode promises, read from /proc/PID/status of the command:
// CAP_NET_BIND_SERVICE in every set but nothing else, with the user's own groups.
void checkCapsModeState(pid_t pid, uid_t uid, gid_t gid) {
  expectCredentials(pid, {.uid = uid,
                          .gid = gid,
                          .groups = {gid},
                          .inh = kNetBind,
                          .prm = kNetBind,
                          .eff = kNetBind,
                          .amb = kNetBind,
                          .bnd = kNetBind});
}

std::vector<std::string> caps(std::vector<std::string> rest) {
  std::vector<std::string> argv = {privbindPath(), "--mode=caps", "-u", "nobody", "--"};
  argv.insert(argv.end(), rest.begin(), rest.end());
  return argv;
}

}  // namespace

TEST_SUITE("caps") {

TEST_CASE("python3 http.server on 127.0.0.1, same pid, exactly one capability") {
  TempDir dir;
  { std::ofstream(dir / "index.html") << "hello from privbind caps mode\n"; }
  uint16_t port = freeReservedPort();
  Process server(caps({python(), "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1",
                       "--directory", dir.path()}));
  REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), server.err());
  std::string page = httpGet("127.0.0.1", port, "/index.html");
  CHECK(page.find("200 OK") != std::string::npos);
  CHECK(page.find("hello from privbind caps mode") != std::string::npos);
  // Exec in place: the pid privbind started with is the server's pid.
  std::string cmdline;
  std::getline(std::ifstream("/proc/" + std::to_string(server.pid()) + "/cmdline"), cmdline, '\0');
  CHECK(cmdline == python());
  checkCapsModeState(server.pid(), kNobody, 65534);
  server.kill(15);
  CHECK(server.wait().has_value());
}

TEST_CASE("a C server on ::1, dynamic and static, reached by a real client") {
  TempDir dir;
  for (auto flags : {std::vector<std::string>{}, std::vector<std::string>{"-static"}}) {
    std::string bin = buildC("bind_server.c", dir.path(), flags);
    CAPTURE(bin);
    uint16_t port = freeReservedPort();
    Process server(caps({bin, "-6", "-c", "1", std::to_string(port)}));
    REQUIRE_MESSAGE(waitForTcp("::1", port), (server.out() + server.err()));
    // waitForTcp used up the one connection the server serves; start a second one for the line.
    CHECK(server.wait() == 0);
    Process again(caps({bin, "-6", "-c", "1", std::to_string(port)}));
    REQUIRE(eventually([&] { return again.out().find("bound") != std::string::npos; }));
    checkCapsModeState(again.pid(), kNobody, 65534);
    std::string line = tcpRead("::1", port);
    CHECK(line.find("uid=65534 euid=65534 pid=" + std::to_string(again.pid())) == 0);
    CHECK(again.wait() == 0);
  }
}

TEST_CASE("the command's securebits are locked, ambient raise left off") {
  expectLockedSecureBits({"--mode=caps", "-u", "nobody"}, true);
}

TEST_CASE("UDP on 127.0.0.1") {
  TempDir dir;
  std::string bin = buildC("bind_server.c", dir.path());
  uint16_t port = freeReservedPort();
  Process server(caps({bin, "-4", "-U", "-c", "1", std::to_string(port)}));
  REQUIRE(eventually([&] { return server.out().find("bound") != std::string::npos; }));
  RunResult client = run({python(), "-c",
                          "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
                          "s.settimeout(5); s.sendto(b'x', ('127.0.0.1'," +
                              std::to_string(port) + ")); print(s.recv(100).decode(), end='')"});
  CHECK(client.out.find("uid=65534") == 0);
  CHECK(server.wait() == 0);
}

TEST_CASE("a Java ServerSocket on the dual-stack wildcard, in a loopback-only namespace") {
  // [::] is every address; a fresh network namespace has only lo, so nothing leaves loopback.
  TempDir dir;
  {
    std::ofstream(dir / "Server.java")
        << "import java.net.*; import java.io.*;\n"
           "public class Server { public static void main(String[] a) throws Exception {\n"
           "  ServerSocket s = new ServerSocket(Integer.parseInt(a[0]));\n"
           "  System.out.println(\"bound \" + s.getLocalSocketAddress()); System.out.flush();\n"
           "  for (int i = 0; i < 2; i++) { try (Socket c = s.accept()) {\n"
           "    c.getOutputStream().write((\"java uid=\" + System.getProperty(\"user.name\") + "
           "\"\\n\").getBytes()); } }\n"
           "}}\n";
  }
  uint16_t port = freeReservedPort();
  std::string script = "ip link set lo up && exec " + privbindPath() +
                       " --mode=caps -u nobody -- java " + dir / "Server.java" + " " +
                       std::to_string(port);
  Process server({"unshare", "--net", "--", "/bin/sh", "-c", script});
  REQUIRE_MESSAGE(eventually([&] { return server.out().find("bound") != std::string::npos; }, 60s),
                  server.err());
  // The kernel's view: an AF_INET6 socket listening (state 0A) on [::]:port.
  char wildcard[64];
  snprintf(wildcard, sizeof wildcard, "00000000000000000000000000000000:%04X", port);
  std::ifstream tcp6("/proc/" + std::to_string(server.pid()) + "/net/tcp6");
  bool listening = false;
  for (std::string line; std::getline(tcp6, line);)
    if (line.find(wildcard) != std::string::npos && line.find(" 0A ") != std::string::npos)
      listening = true;
  CHECK(listening);
  checkCapsModeState(server.pid(), kNobody, 65534);
  std::string ns = "--net=/proc/" + std::to_string(server.pid()) + "/ns/net";
  for (std::string host : {"127.0.0.1", "::1"}) {
    RunResult client =
        run({"nsenter", ns, "--", python(), "-c",
             "import socket; s=socket.create_connection(('" + host + "'," + std::to_string(port) +
                 "), 5); print(s.recv(100).decode(), end='')"});
    CHECK_MESSAGE(client.out == "java uid=nobody\n", host, client.err);
  }
  CHECK(server.wait(30s) == 0);
}

TEST_CASE("a script and its interpreter bind under caps mode too") {
  TempDir dir;
  uint16_t port = freeReservedPort();
  {
    std::ofstream(dir / "serve.sh")
        << "#!/bin/sh\nexec " << python()
        << " -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\"," << port
        << ")); print(\"bound\")'\n";
  }
  chmod((dir / "serve.sh").c_str(), 0755);
  RunResult r = run(caps({dir / "serve.sh"}));
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out == "bound\n");
}

TEST_CASE("groups: all of the user's by default, none with -G, another primary with -g") {
  RunResult all = run({privbindPath(), "-m", "caps", "-u", "nobody", "cat", "/proc/self/status"});
  REQUIRE(all.status == 0);
  auto st = privbind::proc::parseStatus(all.out);
  REQUIRE(st.ok());
  CHECK(st->groups == std::vector<gid_t>{65534});

  RunResult none =
      run({privbindPath(), "-m", "caps", "-G", "-u", "nobody", "cat", "/proc/self/status"});
  REQUIRE(none.status == 0);
  auto st2 = privbind::proc::parseStatus(none.out);
  REQUIRE(st2.ok());
  CHECK(st2->groups.empty());
  CHECK(st2->gid[0] == 65534);

  RunResult other = run({privbindPath(), "-m", "caps", "-G", "-u", "nobody", "-g", "daemon", "cat",
                         "/proc/self/status"});
  REQUIRE(other.status == 0);
  auto st3 = privbind::proc::parseStatus(other.out);
  REQUIRE(st3.ok());
  for (int i = 0; i < 4; ++i) CHECK(st3->gid[i] == 1);

  // A numeric uid with no passwd entry runs with the group it is given.
  RunResult anon = run(
      {privbindPath(), "-m", "caps", "-u", "4000000", "-g", "4000001", "cat", "/proc/self/status"});
  REQUIRE_MESSAGE(anon.status == 0, anon.err);
  auto st4 = privbind::proc::parseStatus(anon.out);
  REQUIRE(st4.ok());
  CHECK(st4->uid[3] == 4000000u);
  CHECK(st4->gid[3] == 4000001u);
  CHECK(st4->groups == std::vector<gid_t>{4000001});
  CHECK(st4->capAmb == kNetBind);
}

TEST_CASE("environment: HOME, USER, LOGNAME describe the user; the rest is kept") {
  RunResult r = run({"env", "HOME=/root", "USER=root", "LOGNAME=root", "PRIVBIND_TEST_VAR=kept",
                     privbindPath(), "-m", "caps", "-u", "nobody", "--", "/usr/bin/env"});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\nHOME=/nonexistent\n") != std::string::npos);
  CHECK(r.out.find("\nUSER=nobody\n") != std::string::npos);
  CHECK(r.out.find("\nLOGNAME=nobody\n") != std::string::npos);
  CHECK(r.out.find("PRIVBIND_TEST_VAR=kept") != std::string::npos);
  CHECK(r.out.find("USER=root") == std::string::npos);

  RunResult kept = run({"env", "HOME=/root", "USER=root", "LOGNAME=root", privbindPath(), "-m",
                        "caps", "--keep-env", "-u", "nobody", "--", "/usr/bin/env"});
  REQUIRE(kept.status == 0);
  CHECK(kept.out.find("HOME=/root") != std::string::npos);
  CHECK(kept.out.find("USER=root") != std::string::npos);

  RunResult anon =
      run({privbindPath(), "-m", "caps", "-u", "4000000", "-g", "4000001", "/usr/bin/env"});
  REQUIRE(anon.status == 0);
  CHECK(anon.out.find("USER=4000000\n") != std::string::npos);
  CHECK(anon.out.find("HOME=/\n") != std::string::npos);
}

TEST_CASE("no_new_privs by default; --allow-setuid leaves it off") {
  RunResult on = run({privbindPath(), "-m", "caps", "-u", "nobody", "cat", "/proc/self/status"});
  REQUIRE(on.status == 0);
  CHECK(privbind::proc::parseStatus(on.out)->noNewPrivs == 1);
  RunResult off = run(
      {privbindPath(), "-m", "caps", "--allow-setuid", "-u", "nobody", "cat", "/proc/self/status"});
  REQUIRE(off.status == 0);
  auto st = privbind::proc::parseStatus(off.out);
  CHECK(st->noNewPrivs == 0);
  CHECK(st->capAmb == kNetBind);
  CHECK(st->capBnd == kNetBind);
}

TEST_CASE("--allow-setuid: a setuid-root program gets uid 0 but no capability (SECBIT_NOROOT)") {
  // A setuid-root copy of cat in a directory only root can write; nobody may run it.
  RootOnlyDir dir;
  REQUIRE(!dir.path().empty());
  const std::string cat = dir / "cat";
  REQUIRE(run({"cp", "/bin/cat", cat}).status == 0);
  REQUIRE(chmod(cat.c_str(), 04755) == 0);
  // The control: run by nobody without privbind's securebits, the kernel gives the setuid-root
  // program the bounding set as permitted and effective (capabilities(7), "Capabilities and
  // execution of programs by root").
  RunResult control =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
           "--bounding-set=-all,+net_bind_service", "--", cat, "/proc/self/status"});
  REQUIRE(control.status == 0);
  auto before = privbind::proc::parseStatus(control.out);
  REQUIRE(before.ok());
  CHECK(before->uid[1] == 0);
  CHECK(before->capEff == kNetBind);

  RunResult r = run({privbindPath(), "-m", "caps", "--allow-setuid", "-u", "nobody", "--", cat,
                     "/proc/self/status"});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto st = privbind::proc::parseStatus(r.out);
  REQUIRE(st.ok());
  CHECK(st->uid[0] == kNobody);
  CHECK(st->uid[1] == 0);  // the setuid bit took effect: --allow-setuid does what it says
  CHECK(st->capPrm == 0);
  CHECK(st->capEff == 0);
  CHECK(st->capAmb == 0);  // a privileged exec clears the ambient set
}

TEST_CASE("without caps mode the same user cannot bind: the test can fail") {
  uint16_t port = freeReservedPort();
  RunResult r =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python(), "-c",
           "import socket; s=socket.socket(); s.bind(('127.0.0.1'," + std::to_string(port) + "))"});
  CHECK(r.status != 0);
  CHECK(r.err.find("Permission denied") != std::string::npos);
}

}  // TEST_SUITE("caps")
