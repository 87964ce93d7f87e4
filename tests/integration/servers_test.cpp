// Real servers from Debian's archive run as nobody through privbind, in cgroup and broker mode,
// each checked with a real client: -n against reloads that bind again (haproxy -W and USR2,
// nginx HUP), --max-bound that survives them and still refuses a socket beyond it, and
// --trace-binds' exact lines for dnsmasq on UDP and TCP, IPv4 and IPv6.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "support.h"

using namespace testsupport;

namespace {

std::string str(int v) { return std::to_string(v); }

// The modes that limit binds here: broker always, cgroup where this host can do it.
std::vector<std::string> limitModes() {
  std::vector<std::string> modes = {"broker"};
  if (!cgroupModeUnavailable()) modes.push_back("cgroup");
  return modes;
}

std::vector<std::string> launch(const std::string& mode, const std::vector<std::string>& options,
                                const std::vector<std::string>& command) {
  std::vector<std::string> argv = {privbindPath(), "-m", mode, "-u", "nobody"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

// The body of http://127.0.0.1:port/ as curl gets it, or "" when nothing answers.
std::string get(uint16_t port) {
  return run({"curl", "-s", "-m", "2", "http://127.0.0.1:" + str(port) + "/"}).out;
}

bool have(const std::string& program) { return access(program.c_str(), X_OK) == 0; }

// Three distinct reserved ports.
std::vector<uint16_t> threePorts() {
  std::vector<uint16_t> out;
  while (out.size() < 3) {
    uint16_t p = freeReservedPort();
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// A server that reloads its configuration: write(version, ports) writes it, reload() tells the
// running server to read it.
struct Reloadable {
  std::function<void(const std::string&, const std::vector<uint16_t>&)> write;
  std::vector<std::string> command;
  int signal;
  // What the server says when it takes the signal; "" when the served pages tell enough. A
  // haproxy master that is still starting up (it re-executes itself on each reload) lets a USR2
  // pass unseen: the signal is sent again until it says so.
  std::string acknowledged;
};

size_t occurrences(const std::string& text, const std::string& word) {
  size_t n = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
  return n;
}

// The sequence of reloads both limits are held against. Ports a, b, c:
//   start with a; reload adding b; reload removing b (its socket is closed); reload adding b
//   again: a new bind of b while a is bound. Then (with --max-bound 2) reload adding c.
// With -n 2 the third reload's bind of b is the third privileged bind: refused, said on stderr,
// and b is not served. With --max-bound 2 only two sockets are ever bound at once: b serves
// again; c would be a third at once: refused, said, not served.
void reloadSequence(const std::string& mode, Reloadable& server) {
  auto ports = threePorts();
  const uint16_t a = ports[0], b = ports[1], c = ports[2];
  TempDir none;
  for (const std::string limit : {"-n", "--max-bound"}) {
    CAPTURE(limit);
    server.write("v1", {a});
    Process p(
        launch(mode, {"-p", str(a) + "," + str(b) + "," + str(c), limit, "2"}, server.command));
    REQUIRE_MESSAGE(eventually([&] { return get(a) == "v1\n"; }, 15s), p.err());
    // Stopped the way its service would be (SIGTERM to the master, which ends its workers), and
    // waited for until nothing answers, so that the next run finds its ports free.
    struct Stop {
      Process& p;
      uint16_t port;
      ~Stop() {
        p.kill(SIGTERM);
        p.wait(10s);
        eventually([&] { return get(port).empty(); }, 10s);
      }
    } stop{p, a};
    size_t reloads = 0;
    auto reload = [&](const std::string& version, const std::vector<uint16_t>& listen) {
      server.write(version, listen);
      ++reloads;
      for (int attempt = 0; attempt < 10; ++attempt) {
        REQUIRE(p.running());
        ::kill(p.pid(), server.signal);  // privbind's pid: the server's master, exec'd in place
        if (server.acknowledged.empty() ||
            eventually([&] { return occurrences(p.err(), server.acknowledged) >= reloads; }, 1s))
          return;
      }
      FAIL("the server never took the signal: " << p.err());
    };
    reload("v2", {a, b});
    REQUIRE_MESSAGE(eventually([&] { return get(b) == "v2\n"; }, 15s), p.err());
    reload("v3", {a});
    // b's socket closed: nothing answers there any more.
    REQUIRE_MESSAGE(eventually([&] { return get(a) == "v3\n" && get(b).empty(); }, 15s), p.err());
    reload("v4", {a, b});
    if (std::string(limit) == "-n") {
      const std::string said = "privbind: port " + str(b) +
                               "/tcp: bind refused: -n 2: all 2 privileged binds are used up";
      CHECK_MESSAGE(eventually([&] { return p.err().find(said) != std::string::npos; }, 15s),
                    p.err());
      CHECK(get(b).empty());  // the reload's new bind was refused: b is not served
      continue;
    }
    CHECK_MESSAGE(eventually([&] { return get(a) == "v4\n" && get(b) == "v4\n"; }, 15s), p.err());
    CHECK(p.err().find("bind refused") == std::string::npos);
    reload("v5", {a, b, c});
    const std::string said = "privbind: port " + str(c) +
                             "/tcp: bind refused: --max-bound 2: all 2 privileged sockets are "
                             "bound now (a closed socket frees its place)\n";
    CHECK_MESSAGE(eventually([&] { return p.err().find(said) != std::string::npos; }, 15s),
                  p.err());
    CHECK(get(c).empty());
  }
}

}  // namespace

TEST_SUITE("servers") {

TEST_CASE("haproxy -W reloaded with USR2: -n refuses the rebind, --max-bound lets it") {
  if (!have("/usr/sbin/haproxy") || !have("/usr/bin/curl")) {
    SKIP_TEST("haproxy or curl is not installed (scripts/bootstrap installs them)");
  }
  for (const auto& mode : limitModes()) {
    CAPTURE(mode);
    TempDir dir;
    const std::string cfg = dir / "haproxy.cfg";
    Reloadable haproxy{
        [&](const std::string& version, const std::vector<uint16_t>& ports) {
          std::ofstream out(cfg + ".new");
          out << "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n"
              << "  timeout server 5s\n";
          for (uint16_t p : ports)
            out << "frontend f" << p << "\n  bind 127.0.0.1:" << p
                << "\n  http-request return status 200 content-type text/plain string \"" << version
                << "\\n\"\n";
          out.close();
          REQUIRE(rename((cfg + ".new").c_str(), cfg.c_str()) == 0);
        },
        // -W: master-worker; USR2 makes the master load the file again and start new workers,
        // which bind what the old ones did not have (the others come over from the old worker).
        {"/usr/sbin/haproxy", "-W", "-db", "-f", cfg},
        SIGUSR2,
        ") : Reloading HAProxy"};
    reloadSequence(mode, haproxy);
  }
}

TEST_CASE("nginx reloaded with HUP: -n refuses the rebind, --max-bound lets it") {
  if (!have("/usr/sbin/nginx") || !have("/usr/bin/curl")) {
    SKIP_TEST("nginx or curl is not installed (scripts/bootstrap installs them)");
  }
  for (const auto& mode : limitModes()) {
    CAPTURE(mode);
    TempDir dir;
    REQUIRE(chown(dir.path().c_str(), 65534, 65534) == 0);  // nginx, as nobody, writes here
    const std::string conf = dir / "nginx.conf";
    Reloadable nginx{[&](const std::string& version, const std::vector<uint16_t>& ports) {
                       std::ofstream out(conf + ".new");
                       out << "daemon off;\nmaster_process on;\nworker_processes 1;\n"
                           << "pid " << dir / "nginx.pid"
                           << ";\nerror_log stderr warn;\n"
                           << "events { worker_connections 32; }\nhttp {\n  access_log off;\n";
                       for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
                         out << "  " << t << "_temp_path " << dir / t << ";\n";
                       for (uint16_t p : ports)
                         out << "  server { listen 127.0.0.1:" << p << "; return 200 \"" << version
                             << "\\n\"; }\n";
                       out << "}\n";
                       out.close();
                       REQUIRE(rename((conf + ".new").c_str(), conf.c_str()) == 0);
                     },
                     // HUP: the master reads the file again, opens the new listeners, closes the
                     // removed ones once the new workers run.
                     {"/usr/sbin/nginx", "-e", "stderr", "-p", dir.path(), "-c", conf},
                     SIGHUP,
                     ""};
    reloadSequence(mode, nginx);
  }
}

TEST_CASE("--trace-binds: dnsmasq on UDP and TCP, IPv4 and IPv6 needs -p PORT -n 4") {
  if (!have("/usr/sbin/dnsmasq")) {
    SKIP_TEST("dnsmasq is not installed (scripts/bootstrap installs dnsmasq-base)");
  }
  for (const auto& mode : limitModes()) {
    CAPTURE(mode);
    uint16_t port = freeReservedPort();
    const std::string p = str(port);
    // --address: a name it answers itself; one listener per address (--bind-interfaces), each
    // for UDP and TCP.
    const std::vector<std::string> dnsmasq = {"/usr/sbin/dnsmasq",
                                              "-k",
                                              "--conf-file=/dev/null",
                                              "--port=" + p,
                                              "--listen-address=127.0.0.1",
                                              "--listen-address=::1",
                                              "--bind-interfaces",
                                              "--pid-file=",
                                              "--no-resolv",
                                              "--no-hosts",
                                              "--address=/privbind.test/192.0.2.7",
                                              "--log-facility=/dev/null"};
    Process traced(launch(mode, {"--trace-binds"}, dnsmasq));
    const std::string expected =
        "privbind: trace: bind " + p + "/udp 127.0.0.1; so far: -p " + p + " -n 1\n" +
        "privbind: trace: bind " + p + "/tcp 127.0.0.1; so far: -p " + p + " -n 2\n" +
        "privbind: trace: bind " + p + "/udp [::1]; so far: -p " + p + " -n 3\n" +
        "privbind: trace: bind " + p + "/tcp [::1]; so far: -p " + p + " -n 4\n";
    CHECK_MESSAGE(eventually([&] { return traced.err().find(expected) != std::string::npos; }, 15s),
                  traced.err());
    // A real DNS query over UDP and one over TCP, on both addresses: dnsmasq answers.
    const std::string ask =
        "import socket, struct, sys\n"
        "q = struct.pack('>HHHHHH', 7, 0x100, 1, 0, 0, 0) + b'\\x08privbind\\x04test\\x00' + "
        "struct.pack('>HH', 1, 1)\n"
        "for host, fam in (('127.0.0.1', socket.AF_INET), ('::1', socket.AF_INET6)):\n"
        "    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(3)\n"
        "    u.sendto(q, (host, int(sys.argv[1]))); r = u.recv(512)\n"
        "    t = socket.create_connection((host, int(sys.argv[1])), 3)\n"
        "    t.sendall(struct.pack('>H', len(q)) + q); s = t.recv(514)[2:]\n"
        "    print(host, bytes([192, 0, 2, 7]) in r, bytes([192, 0, 2, 7]) in s)\n";
    auto answers = run({python(), "-c", ask, p});
    CHECK_MESSAGE(answers.out == "127.0.0.1 True True\n::1 True True\n", answers.err);
    traced.kill(SIGTERM);
    traced.wait();
    // The last line's limits are enough ...
    Process limited(launch(mode, {"-p", p, "-n", "4"}, dnsmasq));
    CHECK(eventually([&] { return run({python(), "-c", ask, p}).out == answers.out; }, 15s));
    CHECK(limited.err().find("bind refused") == std::string::npos);
    limited.kill(SIGTERM);
    limited.wait();
    // ... and one less is not (the control: the count is not a guess).
    // Read to its end: in cgroup mode the watcher's line may come after dnsmasq has exited.
    RunResult fewer = runPipedStderr(launch(mode, {"-p", p, "-n", "3"}, dnsmasq), 15s);
    CHECK(fewer.status != 0);
    CHECK_MESSAGE(
        fewer.err.find("privbind: port " + p + "/tcp: bind refused: -n 3") != std::string::npos,
        fewer.err);
  }
}

}  // TEST_SUITE("servers")
