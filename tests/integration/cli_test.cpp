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

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("the command's own exit status passes through") {
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "--", "sh", "-c", "exit 42"}).status == 42);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "true"}).status == 0);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "false"}).status == 1);
  // Killed by a signal: the shell convention, 128 + signal.
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "--", "sh", "-c", "kill -TERM $$"}).status ==
        128 + 15);
}

TEST_CASE("127 for a command not found, 126 for one that cannot be run") {
  RunResult missing = run({privbindPath(), "-m", "caps", "-u", "nobody", "no-such-command-privbind"});
  CHECK(missing.status == 127);
  CHECK(missing.err == "privbind: no-such-command-privbind: command not found\n");
  RunResult missingPath = run({privbindPath(), "-m", "caps", "-u", "nobody", "/no/such/file"});
  CHECK(missingPath.status == 127);
  CHECK(missingPath.err == "privbind: /no/such/file: No such file or directory\n");

  TempDir dir;
  RunResult touch = run({"sh", "-c", "echo 'echo hi' > " + dir / "noexec" + " && chmod 644 " +
                                         dir / "noexec"});
  REQUIRE(touch.status == 0);
  RunResult noexec = run({privbindPath(), "-m", "caps", "-u", "nobody", dir / "noexec"});
  CHECK(noexec.status == 126);
  CHECK(noexec.err == "privbind: " + dir / "noexec" + ": Permission denied\n");
  // A directory is found but cannot be run.
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", "/tmp"}).status == 126);
  // A file only root may run: found, and refused to the target user.
  RunResult rootOnly = run({"sh", "-c", "printf '#!/bin/sh\\necho hi\\n' > " + dir / "rootonly" +
                                            " && chmod 700 " + dir / "rootonly"});
  REQUIRE(rootOnly.status == 0);
  CHECK(run({privbindPath(), "-m", "caps", "-u", "nobody", dir / "rootonly"}).status == 126);
}

TEST_CASE("unknown user or group, and root as target, are refused") {
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "no-such-user-privbind", "true"}),
               "privbind: user 'no-such-user-privbind': no such user");
  checkRefusal(run({privbindPath(), "-m", "caps", "-u", "nobody", "-g", "no-such-group-privbind",
                    "true"}),
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
  CHECK(brokerOnly.err.find("privbind: -p/--ports: is a broker-mode option") == 0);
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
  const std::string secure = "privbind: secure-execution mode: privbind is installed setuid, "
                             "setgid or with file capabilities and refuses to run that way";
  for (std::string mode : {"caps", "broker"}) {
    CAPTURE(mode);
    std::vector<std::string> argv = kAsNobody;
    for (auto a : {copy, std::string("-m"), mode, std::string("-u"), std::string("nobody"),
                   std::string("-g"), std::string("shadow"), std::string("--"),
                   std::string("head"), std::string("-c"), std::string("64"),
                   std::string("/etc/shadow")})
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
  RunResult r = run({"setpriv", "--bounding-set=-net_bind_service", privbindPath(), "-m", "caps", "-u",
                     "nobody", "true"});
  checkRefusal(r, "cap_net_bind_service is not in privbind's bounding set");
  RunResult capsh = run({"capsh", "--drop=cap_net_bind_service", "--", "-c",
                         privbindPath() + " -m caps -u nobody true"});
  checkRefusal(capsh, "not in privbind's bounding set");
}

TEST_CASE("root without CAP_SETUID, CAP_SETGID or CAP_SETPCAP: refused, naming it") {
  // Dropped from the bounding set, the capability is not granted to root at exec.
  for (std::string cap : {"cap_setuid", "cap_setgid", "cap_setpcap"}) {
    RunResult r = run({"capsh", "--drop=" + cap, "--", "-c",
                       privbindPath() + " -m caps -u nobody true"});
    checkRefusal(r, "privbind: not privileged enough: privbind needs " + cap + " (run it as root)");
  }
}

TEST_CASE("a kernel without ambient capabilities") {
  // Linux >= 4.3 always has them; the refusal path can only be read, not produced, here.
  MESSAGE("not produced on this kernel: ambient capabilities are always present since Linux 4.3");
}

}  // TEST_SUITE
