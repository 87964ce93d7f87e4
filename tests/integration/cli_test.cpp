// The real binary's refusals and exit codes, as a user meets them.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "support.h"

using namespace testsupport;

namespace {

// One line "privbind: <what>: <why>" (plus the usage hint for usage errors), exit 125.
void checkRefusal(const RunResult& r, const std::string& needle) {
  CHECK(r.status == 125);
  CHECK_MESSAGE(std::regex_search(r.err, std::regex("^privbind: [^\n]+: [^\n]+\n")), r.err);
  CHECK_MESSAGE(r.err.find(needle) != std::string::npos, r.err);
  CHECK(r.out.empty());
}

const std::vector<std::string> kAsNobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                            "--clear-groups"};

// privbind with args, under env (NAME=value words for env(1)).
RunResult runPrivbind(const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(privbindPath());
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

void writeFile(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path);
    out << text;
  }
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

// A usage error: exactly the line and the hint, exit 125.
void checkUsage(const RunResult& r, const std::string& line, const char* help = "privbind") {
  CHECK(r.status == 125);
  CHECK(r.err == "privbind: " + line + "\nTry '" + help + " --help'.\n");
  CHECK(r.out.empty());
}

unsigned portStart() {
  std::ifstream in("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  unsigned v = 1024;
  in >> v;
  return v;
}

// A system user created for one test and removed after it.
struct TempUser {
  std::string name;
  explicit TempUser(const std::string& extra) {
    name = "pbt-cli-" + std::to_string(getpid());
    REQUIRE(sh("useradd --system --no-create-home " + extra + " " + name).status == 0);
  }
  ~TempUser() { sh("userdel " + name); }
};

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("the command's own exit status passes through") {
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "--", "sh", "-c", "exit 42"}).status ==
        42);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "true"}).status == 0);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "false"}).status == 1);
  // Killed by a signal: the shell convention, 128 + signal.
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "--", "sh", "-c", "kill -TERM $$"})
            .status == 128 + 15);
}

TEST_CASE("127 for a command not found, 126 for one that cannot be run") {
  RunResult missing =
      run({privbindPath(), "-m", "caps", "-u", "nobody", "no-such-command-privbind"});
  CHECK(missing.status == 127);
  CHECK(missing.err == "privbind: no-such-command-privbind: command not found\n");
  RunResult missingPath = run({privbindPath(), "-m", "caps", "-u", "nobody", "/no/such/file"});
  CHECK(missingPath.status == 127);
  CHECK(missingPath.err == "privbind: /no/such/file: No such file or directory\n");

  TempDir dir;
  RunResult touch =
      run({"sh", "-c", "echo 'echo hi' > " + dir / "noexec" + " && chmod 644 " + dir / "noexec"});
  REQUIRE(touch.status == 0);
  RunResult noexec = run({privbindPath(), "-m", "caps", "-u", "nobody", dir / "noexec"});
  CHECK(noexec.status == 126);
  CHECK(noexec.err == "privbind: " + dir / "noexec" + ": Permission denied\n");
  // A directory is found but cannot be run.
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "/tmp"}).status == 126);
  // A file only root may run: found, and refused to the target user.
  RunResult rootOnly = run({"sh", "-c",
                            "printf '#!/bin/sh\\necho hi\\n' > " + dir / "rootonly" +
                                " && chmod 700 " + dir / "rootonly"});
  REQUIRE(rootOnly.status == 0);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", dir / "rootonly"}).status == 126);
}

TEST_CASE("unknown user or group, and root as target, are refused") {
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "no-such-user-privbind", "true"}),
               "privbind: user 'no-such-user-privbind': no such user");
  checkRefusal(
      run({privbindPath(), "-m", "caps", "-u", "nobody", "-g", "no-such-group-privbind", "true"}),
      "privbind: group 'no-such-group-privbind': no such group");
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "root", "id"}), "resolves to uid 0");
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "0", "id"}), "resolves to uid 0");
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "4000000", "true"}), "name one with -g");
}

TEST_CASE("usage errors: one line, the hint, exit 125, nothing run") {
  TempDir dir;
  RunResult r = run({privbindPath(), "-m", "caps", "-u", "nobody", "-x", "touch", dir / "ran"});
  CHECK(r.status == 125);
  CHECK(r.err == "privbind: -x: unknown option\nTry 'privbind --help'.\n");
  CHECK(access((dir / "ran").c_str(), F_OK) != 0);
  RunResult dup = run({privbindPath(), "-u", "nobody", "-u", "daemon", "true"});
  CHECK(dup.err == "privbind: -u/--user: given more than once\nTry 'privbind --help'.\n");
  CHECK(dup.status == 125);
  RunResult brokerOnly = run({privbindPath(), "-m", "caps", "-u", "nobody", "-p", "80", "true"});
  CHECK(brokerOnly.status == 125);
  CHECK(brokerOnly.err.find("privbind: -p/--ports: not in caps mode: ") == 0);
}

TEST_CASE("--help and --version") {
  RunResult help = run({privbindPath(), "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: privbind [OPTIONS] [--] COMMAND [ARG...]") == 0);
  RunResult version = run({privbindPath(), "--version"});
  CHECK(version.status == 0);
  CHECK(version.out == std::string("privbind ") + PRIVBIND_TEST_VERSION + "\n");
}

TEST_CASE("not privileged: run as an ordinary user, privbind refuses before doing anything") {
  std::vector<std::string> argv = kAsNobody;
  for (auto a : {privbindPath(), std::string("-m"), std::string("caps"), std::string("-u"),
                 std::string("nobody"), std::string("true")})
    argv.push_back(a);
  checkRefusal(run(argv), "privbind: not run by root: real uid is 65534");
  // doctor serves anyone: an ordinary user may ask it (0 clean, 1 findings), never 125.
  std::vector<std::string> doctor = kAsNobody;
  doctor.push_back(privbindPath());
  doctor.push_back("doctor");
  RunResult d = run(doctor);
  CHECK_MESSAGE((d.status == 0 || d.status == 1), d.err);
}

namespace {

// A copy of privbind made privileged the way an admin might, run by nobody: refused first thing,
// whatever it is asked to do, and what it was asked to run never runs.
void checkElevatedCopyRefused(const std::string& copy) {
  const std::string secure =
      "privbind: secure-execution mode: privbind is installed setuid, "
      "setgid or with file capabilities and refuses to run that way";
  for (std::string mode : {"caps", "broker"}) {
    CAPTURE(mode);
    std::vector<std::string> argv = kAsNobody;
    for (auto a : {copy, std::string("-m"), mode, std::string("-u"), std::string("nobody"),
                   std::string("-g"), std::string("shadow"), std::string("--"), std::string("head"),
                   std::string("-c"), std::string("64"), std::string("/etc/shadow")})
      argv.push_back(a);
    RunResult r = run(argv);
    checkRefusal(r, secure);
    CHECK(r.err.find('\n') == r.err.size() - 1);  // one line
  }
  std::vector<std::string> doctor = kAsNobody;
  doctor.push_back(copy);
  doctor.push_back("doctor");
  checkRefusal(run(doctor), secure);
}

// Proves the copy really runs in secure-execution mode for nobody: the kernel's own flag, read
// by a program given the same privilege the same way. Without it the refusals above prove nothing.
void checkSecureExecutionControl(const TempDir& dir, const std::string& how) {
  std::string probe = dir / "at_secure";
  {
    std::ofstream src(dir / "at_secure.c");
    src << "#include <stdio.h>\n#include <sys/auxv.h>\n"
           "int main(void) { printf(\"%lu\\n\", getauxval(AT_SECURE)); return 0; }\n";
  }
  REQUIRE(run({"cc", "-o", probe, dir / "at_secure.c"}).status == 0);
  if (how == "setuid") {
    REQUIRE(chmod(probe.c_str(), 04755) == 0);
  } else {
    REQUIRE(run({"setcap", how, probe}).status == 0);
  }
  std::vector<std::string> argv = kAsNobody;
  argv.push_back(probe);
  CHECK(run(argv).out == "1\n");
  CHECK(run({probe}).out == "0\n");  // root running it gains nothing: not secure
}

}  // namespace

TEST_CASE("installed setuid root: refused") {
  TempDir dir;
  std::string copy = dir / "privbind";
  REQUIRE(run({"cp", privbindPath(), copy}).status == 0);
  REQUIRE(chmod(copy.c_str(), 04755) == 0);
  // If /tmp were mounted nosuid the bit would be ignored: the control says so.
  checkSecureExecutionControl(dir, "setuid");
  checkElevatedCopyRefused(copy);
}

TEST_CASE("installed with file capabilities: refused") {
  TempDir dir;
  std::string copy = dir / "privbind";
  REQUIRE(run({"cp", privbindPath(), copy}).status == 0);
  const std::string caps = "cap_setuid,cap_setgid,cap_setpcap,cap_net_bind_service+ep";
  REQUIRE(run({"setcap", caps, copy}).status == 0);
  REQUIRE(run({"getcap", copy}).out.find("cap_setuid") != std::string::npos);
  checkSecureExecutionControl(dir, caps);
  checkElevatedCopyRefused(copy);
  // Root running the same copy gains nothing from the file and is not refused.
  RunResult root = run({copy, "-m", "caps", "-u", "nobody", "--", "id", "-u"});
  CHECK_MESSAGE(root.status == 0, root.err);
  CHECK(root.out == "65534\n");
}

TEST_CASE("CAP_NET_BIND_SERVICE missing from privbind's bounding set: refused") {
  RunResult r = run({"setpriv", "--bounding-set=-net_bind_service", privbindPath(), "-m", "caps",
                     "-u", "nobody", "true"});
  checkRefusal(r, "cap_net_bind_service is not in privbind's bounding set");
  RunResult capsh = run({"capsh", "--drop=cap_net_bind_service", "--", "-c",
                         privbindPath() + " -m caps -u nobody true"});
  checkRefusal(capsh, "not in privbind's bounding set");
}

TEST_CASE("root without CAP_SETUID, CAP_SETGID or CAP_SETPCAP: refused, naming it") {
  // Dropped from the bounding set, the capability is not granted to root at exec.
  for (std::string cap : {"cap_setuid", "cap_setgid", "cap_setpcap"}) {
    RunResult r =
        run({"capsh", "--drop=" + cap, "--", "-c", privbindPath() + " -m caps -u nobody true"});
    checkRefusal(r, "privbind: not privileged enough: privbind needs " + cap + " (run it as root)");
  }
}

TEST_CASE("a root-only PATH directory does not shadow the user's program: it is checked and run") {
  TempDir dir;
  std::string rootOnly = dir / "root-only", user = dir / "user";
  REQUIRE(mkdir(rootOnly.c_str(), 0700) == 0);
  REQUIRE(mkdir(user.c_str(), 0755) == 0);
  // root's program is set-user-ID: broker mode's target check would refuse it.
  writeFile(rootOnly + "/pbt-tool", "#!/bin/sh\necho root-program\n", 04755);
  writeFile(user + "/pbt-tool", "#!/bin/sh\necho user-program; id -u\n", 0755);
  const std::string path = "PATH=" + rootOnly + ":" + user + ":/usr/bin:/bin";
  // Negative control: root itself finds the root-only one first.
  CHECK(run({"env", path, "pbt-tool"}).out == "root-program\n");
  for (std::string mode : {"broker", "caps"}) {
    CAPTURE(mode);
    RunResult r = runPrivbind({"-m", mode, "-v", "-u", "nobody", "pbt-tool"}, {path});
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(r.out == "user-program\n65534\n");
    CHECK(r.err.find("privbind: command: " + user + "/pbt-tool (found on PATH as uid 65534)\n") !=
          std::string::npos);
    CHECK(r.err.find("root-only") == std::string::npos);
  }
  // Only in the root-only directory: not found for the user (127), not "permission denied".
  writeFile(rootOnly + "/pbt-hidden", "#!/bin/sh\necho hidden\n", 0755);
  RunResult hidden = runPrivbind({"-m", "caps", "-u", "nobody", "pbt-hidden"}, {path});
  CHECK(hidden.status == 127);
  CHECK(hidden.err == "privbind: pbt-hidden: command not found\n");
  // Found, but not executable by the user: 126, naming the file.
  writeFile(user + "/pbt-noexec", "#!/bin/sh\necho no\n", 0744);
  RunResult noexec = runPrivbind({"-m", "caps", "-u", "nobody", "pbt-noexec"}, {path});
  CHECK(noexec.status == 126);
  CHECK(noexec.err == "privbind: " + user +
                          "/pbt-noexec: not executable by uid 65534 "
                          "(Permission denied)\n");
  // doctor -u judges the same file (an ELF program here: doctor's verdicts are about those).
  for (const auto& d : {rootOnly, user})
    REQUIRE(run({"cp", "/bin/true", d + "/pbt-elf"}).status == 0);
  RunResult doctor = runPrivbind({"doctor", "-u", "nobody", "pbt-elf"}, {path});
  CHECK_MESSAGE(doctor.out.find("PATH as uid 65534: " + user + "/pbt-elf") != std::string::npos,
                doctor.out << doctor.err);
  CHECK(doctor.out.find(rootOnly) == std::string::npos);
  // Without -u, doctor looks as an ordinary user (nobody) does, never as root.
  RunResult plain = runPrivbind({"doctor", "pbt-elf"}, {path});
  CHECK_MESSAGE(plain.out.find("PATH as uid 65534: " + user + "/pbt-elf") != std::string::npos,
                plain.out << plain.err);
  CHECK(plain.out.find(rootOnly) == std::string::npos);
}

TEST_CASE("a relative PATH entry reached by the search is refused") {
  for (std::string path : {"PATH=:/usr/bin:/bin", "PATH=.:/usr/bin:/bin", "PATH=bin:/usr/bin"}) {
    CAPTURE(path);
    RunResult r = runPrivbind({"-m", "caps", "-u", "nobody", "id"}, {path});
    checkRefusal(r, "privbind: PATH: the search for id reaches the relative entry '");
  }
  // Found before the relative entry: runs (negative control).
  CHECK(runPrivbind({"-m", "caps", "-u", "nobody", "true"}, {"PATH=/usr/bin:/bin:"}).status == 0);
}

TEST_CASE("parser messages: the option and why, never a library's words") {
  checkUsage(runPrivbind({"--mode=", "-u", "nobody", "--", "id"}),
             "-m/--mode: empty value; expected MODE");
  checkUsage(runPrivbind({"--user=", "id"}), "-u/--user: empty value; expected USER");
  checkUsage(runPrivbind({"-m", "-u", "nobody", "id"}),
             "-m/--mode: needs a value (MODE), not the option -u");
  checkUsage(runPrivbind({"-m", "cgroup", "-u", "nobody", "-l", "/x.so", "id"}),
             "-l/--preload: broker mode only: cgroup mode preloads no library, the kernel "
             "grants the binds for any program");
}

TEST_CASE("-p and -r with ports that are not reserved: refused, naming them") {
  unsigned start = portStart();
  if (start < 2 || start > 65000)
    SKIP_TEST("ip_unprivileged_port_start is " + std::to_string(start));
  std::string below = std::to_string(start - 1), at = std::to_string(start);
  checkUsage(runPrivbind({"-u", "nobody", "-p", below + "," + at, "true"}),
             "-p/--ports: " + at + " is not reserved (net.ipv4.ip_unprivileged_port_start is " +
                 at + "): any user may bind them, privbind has nothing to grant");
  RunResult two =
      runPrivbind({"-u", "nobody", "-p", "80," + at + "," + std::to_string(start + 976), "true"});
  CHECK(two.status == 125);
  CHECK(two.err.find("privbind: -p/--ports: " + at + "," + std::to_string(start + 976) +
                     " are not reserved") == 0);
  RunResult r = runPrivbind({"-u", "nobody", "-r", at, "true"});
  CHECK(r.status == 125);
  CHECK(r.err.find("privbind: -r/--reuseport: " + at + " is not reserved") == 0);
  // Negative control: a reserved port passes.
  CHECK(runPrivbind({"-u", "nobody", "-p", below, "true"}).status == 0);
}

TEST_CASE("group 0 is refused like uid 0: -g root, -g 0, and a user whose primary group is 0") {
  checkRefusal(runPrivbind({"-m", "caps", "-u", "nobody", "-g", "root", "id"}),
               "privbind: group 'root': resolves to gid 0");
  checkRefusal(runPrivbind({"-m", "caps", "-u", "nobody", "-g", "0", "id"}),
               "privbind: group '0': resolves to gid 0");
  TempUser user("-g 0");
  checkRefusal(runPrivbind({"-u", user.name, "id"}),
               "privbind: user '" + user.name +
                   "': its primary group is gid 0 (root); name "
                   "another group with -g");
  // With another group it runs (negative control).
  RunResult ok = runPrivbind({"-m", "caps", "-u", user.name, "-g", "nogroup", "id", "-g"});
  CHECK(ok.status == 0);
  CHECK(ok.out == "65534\n");
}

TEST_CASE("-v echoes the limits in force") {
  uint16_t port = freeReservedPort();
  std::string p = std::to_string(port);
  RunResult r = runPrivbind({"-v", "-u", "nobody", "-p", p, "-n", "2", "-r", p, "true"});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.err.find("privbind: limits: ports " + p + "; 2 privileged binds; SO_REUSEPORT on " + p +
                   "\n") != std::string::npos);
  RunResult none = runPrivbind({"-v", "-u", "nobody", "true"});
  CHECK(none.err.find("privbind: limits: none (any reserved port, any number of binds)\n") !=
        std::string::npos);
  RunResult quiet = runPrivbind({"-u", "nobody", "-p", p, "true"});
  CHECK(quiet.err.empty());
}

TEST_CASE("messages that point the right way") {
  // "doctor" after the options is a command: not found, with the hint.
  RunResult doctor = runPrivbind({"-u", "nobody", "doctor"});
  CHECK(doctor.status == 127);
  CHECK(doctor.err == "privbind: doctor: command not found (did you mean 'privbind doctor'?)\n");
  // doctor's own usage errors point to doctor's own help, which is doctor's.
  checkUsage(runPrivbind({"doctor", "-n", "--fix", "/bin/true"}), "-n: unknown option",
             "privbind doctor");
  RunResult help = runPrivbind({"doctor", "--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: privbind doctor") == 0);
  CHECK(help.out.find("--binds") == std::string::npos);
  // A script whose #! interpreter is missing names it (126), in both modes.
  TempDir dir;
  std::string script = dir / "srv.sh";
  writeFile(script, "#!/nonexistent/pbt-interp\necho hi\n", 0755);
  for (std::string mode : {"broker", "caps"}) {
    CAPTURE(mode);
    RunResult r = runPrivbind({"-m", mode, "-u", "nobody", script});
    CHECK(r.status == 126);
    CHECK(r.err == "privbind: " + script +
                       ": its #! interpreter /nonexistent/pbt-interp is missing: No such file or "
                       "directory\n");
  }
  // -l with a missing library says what is wrong with it.
  RunResult preload = runPrivbind({"-u", "nobody", "-l", "/nonexistent.so", "true"});
  CHECK(preload.status == 125);
  CHECK(preload.err == "privbind: -l/--preload /nonexistent.so: No such file or directory\n");
  RunResult notFile = runPrivbind({"-u", "nobody", "-l", "/tmp", "true"});
  CHECK(notFile.status == 125);
  CHECK(notFile.err == "privbind: -l/--preload /tmp: not a regular file\n");
}

TEST_CASE("a working directory the user cannot enter: one warning line, the command still runs") {
  TempDir dir;
  std::string closed = dir / "closed";
  REQUIRE(mkdir(closed.c_str(), 0700) == 0);
  for (std::string mode : {"broker", "caps"}) {
    CAPTURE(mode);
    RunResult r =
        sh("cd " + closed + " && exec " + privbindPath() + " -m " + mode + " -u nobody true");
    CHECK(r.status == 0);
    CHECK(r.err == "privbind: warning: working directory " + closed +
                       ": uid 65534 cannot enter it, so relative paths in true will fail (cd "
                       "first, or set WorkingDirectory=)\n");
  }
  // Negative control: a directory the user can enter gives no warning.
  RunResult open =
      sh("cd " + dir.path() + " && exec " + privbindPath() + " -m caps -u nobody true");
  CHECK(open.status == 0);
  CHECK(open.err.empty());
}

TEST_CASE("a bind refused by -n or -p is said on stderr, once per port, also without -v") {
  // A dnsmasq-like server: UDP and TCP on one port, then TCP again, on 127.0.0.1; prints what the
  // kernel said to each.
  const std::string server =
      "import socket, sys\n"
      "for port, kind in [(int(a[1:]), a[0]) for a in sys.argv[1:]]:\n"
      "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == 'u' else "
      "socket.SOCK_STREAM)\n"
      "    try:\n"
      "        s.bind(('127.0.0.1', port)); print(kind, 'ok')\n"
      "    except OSError as e:\n"
      "        print(kind, e.strerror)\n";
  uint16_t a = freeReservedPort(), b = freeReservedPort();
  if (a == b) b = a == 999 ? 998 : a + 1;
  const std::string pa = std::to_string(a), pb = std::to_string(b);
  const std::string usedUp =
      "-n 1: the one privileged bind is used up (every bind counts: UDP and TCP on one port are "
      "2, on IPv4 and IPv6 4)\n";
  std::vector<std::string> modes = {"broker"};
  if (!cgroupModeUnavailable()) modes.push_back("cgroup");
  for (const std::string& mode : modes) {
    CAPTURE(mode);
    auto launch = [&](std::vector<std::string> limits, const std::vector<std::string>& binds) {
      std::vector<std::string> argv = {privbindPath(), "-m", mode, "-u", "nobody"};
      argv.insert(argv.end(), limits.begin(), limits.end());
      argv.insert(argv.end(), {"--", "python3", "-c", server});
      argv.insert(argv.end(), binds.begin(), binds.end());
      // cgroup mode's line comes from the watcher: read stderr to its end.
      return runPipedStderr(argv);
    };
    // -n 1: UDP takes the one bind; TCP on the same port is refused, twice, said once.
    RunResult n1 = launch({"-n", "1"}, {"u" + pa, "t" + pa, "t" + pa});
    CHECK_MESSAGE(n1.status == 0, n1.err);
    CHECK(n1.out == "u ok\nt Permission denied\nt Permission denied\n");
    CHECK(n1.err == "privbind: port " + pa + "/tcp: bind refused: " + usedUp);
    // -p: the port outside it, said once for UDP and TCP; the port in it binds.
    RunResult p = launch({"-p", pb}, {"u" + pa, "t" + pa, "t" + pb});
    CHECK_MESSAGE(p.status == 0, p.err);
    CHECK(p.out == "u Permission denied\nt Permission denied\nt ok\n");
    CHECK(p.err == "privbind: port " + pa + "/udp: bind refused: not in -p " + pb + "\n");
    // Negative control: with room for both, both bind and nothing is said.
    RunResult n2 = launch({"-n", "2", "-p", pa}, {"u" + pa, "t" + pa});
    CHECK(n2.status == 0);
    CHECK(n2.out == "u ok\nt ok\n");
    CHECK(n2.err.empty());
  }
  if (auto why = cgroupModeUnavailable()) SKIP_TEST("cgroup mode part: " + *why);
}

}  // TEST_SUITE("cli")
