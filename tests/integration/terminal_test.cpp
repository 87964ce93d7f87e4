// Started from a terminal, the command gets a pseudo-terminal of its own. Driven through a real
// pseudo-terminal running an interactive root bash, as a person at a root shell would use it: the
// attacks a hostile command makes on root's terminal fail, and what a person expects still works.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "support.h"

using namespace testsupport;

namespace {

// An interactive bash (job control on, no rc files) on the slave of a pseudo-terminal this test
// holds the master of: root at a terminal.
class RootShell {
 public:
  RootShell(unsigned short rows = 24, unsigned short cols = 80) {
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      setenv("PS1", "root$ ", 1);
      setenv("TERM", "dumb", 1);
      execl("/bin/bash", "bash", "--norc", "--noprofile", "-i", static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(waitFor("root$ "));
  }
  ~RootShell() {
    ::kill(pid_, SIGKILL);  // the shell this test started, by pid
    waitpid(pid_, nullptr, 0);
    close(master_);
  }
  RootShell(const RootShell&) = delete;
  RootShell& operator=(const RootShell&) = delete;

  void type(const std::string& keys) {
    REQUIRE(write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size()));
  }
  // Reads the terminal until text appears after what was already consumed, or timeout.
  bool waitFor(const std::string& text, std::chrono::milliseconds timeout = 20s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t at = screen_.find(text, consumed_);
      if (at != std::string::npos) {
        consumed_ = at + text.size();
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) return false;
      screen_.append(buf, static_cast<size_t>(n));
    }
  }
  // Runs a command line and returns its exit status, as bash reports it in $?.
  int runLine(const std::string& line, std::chrono::milliseconds timeout = 30s) {
    type(line + "; echo \"EXIT:$?:\"\n");
    // The echo of the typed line contains EXIT:$?: literally; the result has a number.
    auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!waitFor("EXIT:", std::chrono::duration_cast<std::chrono::milliseconds>(
                                end - std::chrono::steady_clock::now())))
        return -1;
      size_t colon = screen_.find(':', consumed_);
      if (colon == std::string::npos) continue;
      std::string num = screen_.substr(consumed_, colon - consumed_);
      if (!num.empty() && num.find_first_not_of("0123456789") == std::string::npos)
        return std::stoi(num);
    }
  }
  void resize(unsigned short rows, unsigned short cols) {
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    REQUIRE(ioctl(master_, TIOCSWINSZ, &ws) == 0);  // the kernel sends SIGWINCH to the fg job
  }
  const std::string& screen() const { return screen_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
  size_t consumed_ = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

std::string privbindLine(const std::string& mode, const std::string& command) {
  return privbindPath() + " --mode=" + mode + " -u nobody -- " + command;
}

bool tiocstiAllowed() {
  std::string v = slurp("/proc/sys/dev/tty/legacy_tiocsti");
  return v.empty() || v[0] != '0';  // no such sysctl: kernels before 6.2 always allow it
}

// A directory the attack (as nobody) can write its report to.
struct AttackDir {
  TempDir dir;
  std::string attack, report, pwned;
  AttackDir() {
    attack = buildC("tty_attack.c", dir.path());
    REQUIRE(mkdir((dir / "w").c_str(), 0777) == 0);
    REQUIRE(chmod((dir / "w").c_str(), 0777) == 0);
    report = dir / "w/report";
    pwned = dir / "pwned";
  }
  std::string line() const { return attack + " " + report + " " + pwned; }
  // Once the attacker tries to read, types a line at root's terminal; returns the report.
  std::string finish(RootShell& shell) {
    REQUIRE_MESSAGE(eventually([&] { return exists(report + ".grab"); }, 15s), shell.screen());
    shell.type("echo typed-after-exit\n");
    REQUIRE_MESSAGE(eventually([&] { return exists(report); }, 15s), shell.screen());
    return slurp(report);
  }
};

}  // namespace

TEST_SUITE("terminal") {

TEST_CASE("control: without privbind's pseudo-terminal the attack takes root's terminal") {
  AttackDir a;
  RootShell shell;
  // The hostile command as nobody on root's own terminal, as privbind ran it before.
  REQUIRE(shell.runLine("setpriv --reuid=nobody --regid=nogroup --clear-groups " + a.line()) == 0);
  std::string report = a.finish(shell);
  CAPTURE(report);
  CAPTURE(shell.screen());
  // The foreground grab works and steals the line root typed next.
  CHECK(report.find("tcsetpgrp=ok") != std::string::npos);
  CHECK(report.find("typed-after-exit") != std::string::npos);
  if (!tiocstiAllowed())
    SKIP_TEST(
        "dev.tty.legacy_tiocsti is 0: TIOCSTI fails for everyone, the injection control "
        "cannot be shown (the foreground grab was)");
  CHECK(report.find("tiocsti=ok") != std::string::npos);
  CHECK(eventually([&] { return exists(a.pwned); }, 5s));
}

TEST_CASE("the command can neither inject into, grab nor read root's terminal") {
  for (const std::string& mode : launchModes()) {
    CAPTURE(mode);
    AttackDir a;
    RootShell shell;
    REQUIRE(shell.runLine(privbindLine(mode, a.line())) == 0);
    std::string report = a.finish(shell);
    CAPTURE(report);
    CAPTURE(shell.screen());
    CHECK(report.find("tiocsti=ok") == std::string::npos);
    CHECK(report.find("tcsetpgrp=ok") == std::string::npos);
    CHECK(report.find("typed-after-exit") == std::string::npos);
    // Root's shell got the line and runs it, and goes on working.
    CHECK_MESSAGE(shell.waitFor("\ntyped-after-exit"), shell.screen());
    CHECK(shell.runLine("true") == 0);
    std::this_thread::sleep_for(500ms);
    CHECK_FALSE(exists(a.pwned));
    // The output of the command reached root's terminal through the relay.
    CHECK(shell.screen().find("attack armed") != std::string::npos);
  }
}

TEST_CASE("the command's terminal is a pseudo-terminal of its own, owned by it") {
  for (const std::string& mode : launchModes()) {
    CAPTURE(mode);
    RootShell shell;
    REQUIRE(shell.runLine(privbindLine(mode,
                                       "sh -c 'echo \"TTY=$(tty)\"; stat -c OWNER=%u "
                                       "\"$(tty)\"'")) == 0);
    CHECK(shell.screen().find("TTY=/dev/pts/") != std::string::npos);
    CHECK(shell.screen().find("OWNER=65534") != std::string::npos);
  }
}

TEST_CASE("the relay: unprivileged, non-dumpable, holding only the two terminals") {
  for (const std::string& mode : launchModes()) {
    CAPTURE(mode);
    RootShell shell;
    // The marker is split on the command line, so that its echo does not match.
    shell.type(privbindLine(mode, "sh -c 'echo run\"\"ning; sleep 3'") + "\n");
    REQUIRE(shell.waitFor("running"));
    pid_t relay = firstChild(shell.pid());
    REQUIRE(relay > 0);
    pid_t command = firstChild(relay);
    REQUIRE(command > 0);
    expectCredentials(relay, Credentials{kNobody, 65534, {}, 0, 0, 0, 0, 0, 1});
    // 0-2 (root's terminal), the master, the signalfd: no lifeline, no socket, no pipe.
    std::string fds = sh("ls -l /proc/" + std::to_string(relay) + "/fd").out;
    CAPTURE(fds);
    CHECK(fdCount(relay) == 5);
    CHECK(fds.find("pipe:") == std::string::npos);
    CHECK(fds.find("socket:") == std::string::npos);
    CHECK(fds.find("/dev/ptmx") != std::string::npos);
    // The command's uid cannot reach the relay's descriptors (it is not dumpable)...
    RunResult peek = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ls",
                          "/proc/" + std::to_string(relay) + "/fd"});
    CHECK(peek.status != 0);
    CHECK(peek.err.find("Permission denied") != std::string::npos);
    // ...while it can reach the command's (control: same uid, dumpable).
    RunResult own = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ls",
                         "/proc/" + std::to_string(command) + "/fd"});
    CHECK(own.status == 0);
    REQUIRE(shell.waitFor("root$ "));
  }
}

TEST_CASE("exit status: the command's, 128+N after signal N") {
  RootShell shell;
  CHECK(shell.runLine(privbindLine("caps", "sh -c 'exit 7'")) == 7);
  CHECK(shell.runLine(privbindLine("broker", "sh -c 'exit 7'")) == 7);
  CHECK(shell.runLine(privbindLine("caps", "sh -c 'kill -TERM $$'")) == 128 + SIGTERM);
  // Refusals keep their code and message.
  CHECK(shell.runLine(privbindLine("caps", "/nonexistent/x")) == 127);
}

TEST_CASE("the window size is the terminal's, and follows it") {
  RootShell shell(33, 111);
  shell.type(privbindLine("caps", "sh -c 'stty size; sleep 2; stty size'") + "\n");
  REQUIRE_MESSAGE(shell.waitFor("33 111"), shell.screen());
  shell.resize(44, 122);
  CHECK_MESSAGE(shell.waitFor("44 122"), shell.screen());
  REQUIRE(shell.waitFor("root$ "));
  CHECK(shell.runLine("true") == 0);
}

TEST_CASE("Ctrl-C stops a running python http.server") {
  for (const std::string& mode : launchModes()) {
    CAPTURE(mode);
    RootShell shell;
    uint16_t port = freeReservedPort();
    shell.type(privbindLine(mode, python() + " -m http.server " + std::to_string(port) +
                                      " --bind 127.0.0.1") +
               "; echo \"EXIT:$?:\"\n");
    REQUIRE_MESSAGE(waitForTcp("127.0.0.1", port), shell.screen());
    CHECK(httpGet("127.0.0.1", port).find("200 OK") != std::string::npos);
    shell.type("\x03");
    CHECK_MESSAGE(shell.waitFor("Keyboard interrupt received"), shell.screen());
    CHECK(shell.waitFor("EXIT:"));
    CHECK(eventually([&] { return httpGet("127.0.0.1", port).empty(); }));
  }
}

TEST_CASE("Ctrl-Z stops the command, fg resumes it") {
  for (const std::string& mode : launchModes()) {
    CAPTURE(mode);
    RootShell shell;
    shell.type(privbindLine(mode, "sh -c 'echo st\"\"arted; read line; echo \"got $line\"'") +
               "\n");
    REQUIRE(shell.waitFor("started"));
    shell.type("\x1a");
    REQUIRE_MESSAGE(shell.waitFor("Stopped"), shell.screen());
    // Root's shell has its terminal back while the command is stopped.
    CHECK(shell.runLine("echo in-between") == 0);
    shell.type("fg\n");
    std::this_thread::sleep_for(1s);
    shell.type("resumed-line\n");
    CHECK_MESSAGE(shell.waitFor("got resumed-line"), shell.screen());
    REQUIRE(shell.waitFor("root$ "));
    CHECK(shell.runLine("true") == 0);
  }
}

}  // TEST_SUITE("terminal")
