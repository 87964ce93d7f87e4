// doctor against the truth. Each case builds or copies a real target, runs it for real as nobody
// (directly, under caps mode, under broker mode) to see whether it starts and whether it binds a
// reserved port on 127.0.0.1, then runs `privbind doctor --json` on it and checks that every
// verdict says exactly what happened. A wrong verdict is a failing test, whichever way it errs.
//
// The probes (programs/oracle_bind.*) print "started" once running and "bound" after a
// successful bind (exit 0), or exit 3 when the bind fails.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "support.h"

using namespace testsupport;

namespace {

// env(1) sets the case's environment; python's os.execvp makes the PATH search as nobody (setpriv's
// own exec still holds root's capabilities for the path lookup, a real nobody's does not) and
// then a plain execve(2), as privbind, init systems and start-stop-daemon do: unlike execvp(3) of
// glibc (env, setpriv) and shells, it does not run a file the kernel refuses with ENOEXEC
// through /bin/sh instead.
const std::vector<std::string> kNobody = {
    "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "env"};
const std::vector<std::string> kExecve = {"/usr/bin/python3", "-c",
                                          "import os,sys; os.execvp(sys.argv[1], sys.argv[1:])"};

// What a case hands to the oracle.
struct Target {
  explicit Target(std::string c, std::vector<std::string> e = {}, std::vector<std::string> w = {},
                  std::optional<std::string> h = {})
      : command(std::move(c)), env(std::move(e)), wrap(std::move(w)), hijack(std::move(h)) {}
  std::string command;                // what doctor and privbind are given (a path or a name)
  std::vector<std::string> env;       // NAME=value, for doctor and for every run
  std::vector<std::string> wrap;      // runs doctor and every run under this (setpriv ...)
  std::optional<std::string> hijack;  // a directory or file a privileged target trusts: can
                                      // nobody write it? (else: doctor must not claim so)
};

// Mounts and paths outside the TempDir that a case created; undone at the end of the case,
// mounts first. A file in /etc/ld.so.conf.d is followed by ldconfig.
struct Cleanup {
  std::vector<std::string> mounts, paths;
  bool ldconfig = false;
  ~Cleanup() {
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) run({"umount", "--", *it});
    for (const auto& p : paths) run({"rm", "-rf", "--", p});
    if (ldconfig) run({"ldconfig"});
  }
};

struct Ctx {
  TempDir tmp;
  Cleanup cleanup;
  // A fresh root-owned directory under a trusted or untrusted prefix, removed afterwards.
  std::string dirUnder(const std::string& prefix) {
    RunResult r = run({"mktemp", "-d", prefix + "/privbind-oracle-XXXXXX"});
    REQUIRE(r.status == 0);
    std::string d = r.out.substr(0, r.out.find('\n'));
    cleanup.paths.push_back(d);
    REQUIRE(run({"chmod", "0755", d}).status == 0);
    return d;
  }
};

void must(const std::vector<std::string>& argv) {
  RunResult r = run(argv, 120s);
  REQUIRE_MESSAGE(r.status == 0, argv[0] << ": " << r.err);
}

void mkdirs(const std::string& d) { must({"mkdir", "-p", "-m", "0755", d}); }

// A tmpfs with the given options (nosuid, noexec...) at dir, unmounted at the end of the case.
std::string mountTmpfs(Ctx& c, const std::string& dir, const std::string& opts) {
  mkdirs(dir);
  must({"mount", "-t", "tmpfs", "-o", "mode=0755," + opts, "privbind-oracle", dir});
  c.cleanup.mounts.push_back(dir);
  return dir;
}

// Sets bytes of path at offset (printf(1) escapes), e.g. e_machine of an ELF header.
void patch(const std::string& path, long offset, const std::string& bytes) {
  must({"sh", "-c",
        "printf '" + bytes + "' | dd of=\"$1\" bs=1 seek=" + std::to_string(offset) +
            " conv=notrunc status=none",
        "sh", path});
}
// e_machine (offset 18) = EM_AARCH64 (183): an ELF file of another architecture.
const char* kAarch64 = "\\267\\000";

// dir/libdoctor_lib.so.
std::string buildLib(const std::string& dir) {
  mkdirs(dir);
  std::string lib = dir + "/libdoctor_lib.so";
  must({"cc", "-shared", "-fPIC", "-o", lib, sourceDir() + "/programs/doctor_lib.c"});
  must({"chmod", "0755", lib});
  return lib;
}

// The C probe at out; libDir non-empty links it against libdoctor_lib.so there.
std::string buildProbe(const std::string& out, const std::vector<std::string>& flags = {},
                       const std::string& libDir = "") {
  mkdirs(out.substr(0, out.rfind('/')));
  std::vector<std::string> argv = {"cc", "-O2", "-o", out, sourceDir() + "/programs/oracle_bind.c"};
  if (!libDir.empty()) argv.insert(argv.end(), {"-DWITH_LIB", "-L" + libDir, "-ldoctor_lib"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  must(argv);
  must({"chmod", "0755", out});
  return out;
}

// The 32-bit x86 probe (no libc) at out.
std::string buildProbe32(const std::string& out) {
  must({"cc", "-m32", "-nostdlib", "-static", "-fno-stack-protector", "-fno-pie", "-no-pie", "-o",
        out, sourceDir() + "/programs/oracle_bind_i386.c"});
  must({"chmod", "0755", out});
  return out;
}

std::string setcap(const std::string& caps, const std::string& path) {
  must({"setcap", caps, path});
  return path;
}

std::string writeFile(const std::string& path, const std::string& text, const char* mode) {
  RunResult r =
      run({"sh", "-c", "cat > \"$1\" && chmod " + std::string(mode) + " \"$1\"", "sh", path}, 30s,
          text);
  REQUIRE(r.status == 0);
  return path;
}

// The system JDK behind /usr/bin/java, or "".
std::string systemJdk() {
  char buf[PATH_MAX];
  if (!realpath("/usr/bin/java", buf)) return "";
  std::string java = buf;
  std::string home = java.substr(0, java.rfind("/bin/java"));
  if (access((home + "/lib/libjli.so").c_str(), R_OK) != 0) return "";
  return home;
}

// Copies the JDK at home to dest (bin/java, lib/, conf/, release) and gives bin/java
// cap_net_bind_service=ep; the target runs OracleBind.java as a single source file.
Target setcapJdkCopy(const std::string& dest) {
  std::string home = systemJdk();
  mkdirs(dest + "/bin");
  RunResult r = sh("set -e; cp -a '" + home + "/bin/java' '" + dest + "/bin/'; cp -a '" + home +
                       "/lib' '" + dest + "/'; rm -f '" + dest +
                       "/lib/src.zip'; for d in conf "
                       "release; do [ ! -e '" +
                       home + "'/$d ] || cp -a '" + home + "'/$d '" + dest +
                       "/'; done; chmod -R a+rX '" + dest + "'",
                   180s);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  setcap("cap_net_bind_service=ep", dest + "/bin/java");
  return Target{dest + "/bin/java"};
}

struct Case {
  Case(const char* n, std::function<Target(Ctx&)> m, const char* f = "", const char* nd = "")
      : name(n), make(std::move(m)), finding(f), needs(nd) {}
  const char* name;  // tests/integration/doctor_cases.md says which class each one stands for
  std::function<Target(Ctx&)> make;
  const char* finding;  // a finding code doctor must report for it ("" none required)
  const char* needs;    // "go", "jdk" or "node": judged in their own test case, skipped without
};

// ---- the truth ------------------------------------------------------------------------------

struct Observed {
  bool starts = false, binds = false;                 // run directly as nobody
  bool cgroup = false, caps = false, broker = false;  // under privbind -m cgroup/caps/broker
  std::string log;
};

// Runs argv with the case's wrapper and environment, from "/" (relative RUNPATH entries then
// resolve against a directory that holds no library).
RunResult runAs(const Target& t, const std::vector<std::string>& how,
                const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"sh", "-c", "cd / && exec \"$@\"", "sh"};
  argv.insert(argv.end(), t.wrap.begin(), t.wrap.end());
  argv.emplace_back("env");
  argv.insert(argv.end(), t.env.begin(), t.env.end());
  argv.insert(argv.end(), how.begin(), how.end());
  argv.push_back(t.command);
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(std::to_string(freeReservedPort()));
  return run(argv, 120s);
}

Observed observe(const Target& t, const std::vector<std::string>& args) {
  Observed o;
  std::vector<std::string> directHow = kNobody;
  directHow.insert(directHow.end(), kExecve.begin(), kExecve.end());
  RunResult direct = runAs(t, directHow, args);
  o.starts = direct.out.find("started") != std::string::npos;
  o.binds = direct.status == 0 && direct.out.find("bound") != std::string::npos;
  RunResult cgroup = runAs(t, {privbindPath(), "--mode=cgroup", "-u", "nobody", "--"}, args);
  o.cgroup = cgroup.status == 0 && cgroup.out.find("bound") != std::string::npos;
  RunResult caps = runAs(t, {privbindPath(), "--mode=caps", "-u", "nobody", "--"}, args);
  o.caps = caps.status == 0 && caps.out.find("bound") != std::string::npos;
  RunResult broker = runAs(t, {privbindPath(), "--mode=broker", "-u", "nobody", "--"}, args);
  o.broker = broker.status == 0 && broker.out.find("bound") != std::string::npos;
  o.log = "direct " + std::to_string(direct.status) + ": " + direct.out + direct.err + "cgroup " +
          std::to_string(cgroup.status) + ": " + cgroup.out + cgroup.err + "caps " +
          std::to_string(caps.status) + ": " + caps.out + caps.err + "broker " +
          std::to_string(broker.status) + ": " + broker.out + broker.err;
  return o;
}

// Whether nobody can write the file, or create a file in the directory.
bool nobodyCanWrite(const std::string& path) {
  std::vector<std::string> argv = kNobody;
  argv.insert(argv.end(), {"sh", "-c",
                           "if [ -d \"$1\" ]; then f=\"$1/.oracle-probe\"; : > \"$f\" && rm -f "
                           "\"$f\"; else [ -w \"$1\" ]; fi",
                           "sh", path});
  return run(argv).status == 0;
}

// ---- what doctor says -----------------------------------------------------------------------

struct Said {
  int status = -1;
  std::string checked, starts, binds, cgroup, broker, caps;  // "True"/"False"/"None"
  bool hijack = false;
  std::vector<std::string> codes;        // finding codes
  std::vector<std::string> recommended;  // the commands doctor recommends
  std::string text;
};

Said askDoctor(const Target& t) {
  std::vector<std::string> argv = t.wrap;
  argv.emplace_back("env");
  argv.insert(argv.end(), t.env.begin(), t.env.end());
  argv.insert(argv.end(), {privbindPath(), "doctor", "--json", t.command});
  RunResult r = run(argv, 120s);
  Said s;
  s.status = r.status;
  s.text = r.out + r.err;
  RunResult py = run({python(), "-c",
                      "import json,sys\n"
                      "d=json.load(sys.stdin); v=d['target']['verdicts']\n"
                      "print(v['checked'], v['starts_as_user'], v['binds_as_user'],"
                      " v['cgroup_mode'], v['broker_mode'], v['caps_mode'],"
                      " any(f['code']=='library-hijackable' for f in d['findings']))\n"
                      "print(' '.join(f['code'] for f in d['findings']))\n"
                      "for c in d['target']['recommended']: print(c)"},
                     30s, r.out);
  REQUIRE_MESSAGE(py.status == 0, s.text << py.err);
  std::istringstream in(py.out);
  std::string hijack;
  in >> s.checked >> s.starts >> s.binds >> s.cgroup >> s.broker >> s.caps >> hijack;
  s.hijack = hijack == "True";
  std::string line;
  std::getline(in, line);  // the rest of the first line
  std::getline(in, line);
  std::istringstream codes(line);
  for (std::string c; codes >> c;) s.codes.push_back(c);
  while (std::getline(in, line)) s.recommended.push_back(line);
  return s;
}

std::string py(bool b) { return b ? "True" : "False"; }

// ---- the cases ------------------------------------------------------------------------------

// A program linked against libdoctor_lib.so, lib in base/lib, program in base/bin/NAME.
std::string pair(const std::string& base, const std::vector<std::string>& flags) {
  buildLib(base + "/lib");
  return buildProbe(base + "/bin/probe", flags, base + "/lib");
}

const std::string kOriginRunpath = "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib";

// A file-caps program with an absolute RUNPATH to its own lib/, and `writable` (relative to its
// directory) chmod'ed to mode: a place someone other than root can change.
Target absoluteRunpathWritable(Ctx& c, const std::string& writable, const char* mode) {
  std::string base = c.tmp / "app";
  std::string p = setcap("cap_net_bind_service=ep",
                         pair(base, {"-Wl,--enable-new-dtags,-rpath," + base + "/lib"}));
  must({"chmod", mode, base + "/" + writable});
  return Target{p, {}, {}, base + "/" + writable};
}
const std::string kOriginRpath = "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib";

std::vector<Case> cases() {
  return {
      {"dynamic, no privilege", [](Ctx& c) { return Target{buildProbe(c.tmp / "p")}; }},
      {"static, no privilege", [](Ctx& c) { return Target{buildProbe(c.tmp / "p", {"-static"})}; }},
      {"cap_net_bind_service=ep",
       [](Ctx& c) { return Target{setcap("cap_net_bind_service=ep", buildProbe(c.tmp / "p"))}; }},
      {"cap_net_bind_service=p (no effective bit)",
       [](Ctx& c) { return Target{setcap("cap_net_bind_service=p", buildProbe(c.tmp / "p"))}; },
       "caps-not-effective"},
      {"cap_net_raw=ep (not the bind capability)",
       [](Ctx& c) { return Target{setcap("cap_net_raw=ep", buildProbe(c.tmp / "p"))}; },
       "caps-without-bind"},
      {"cap_net_bind_service,cap_net_raw=ep",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service,cap_net_raw=ep", buildProbe(c.tmp / "p"))};
       },
       "caps-mode-eperm"},
      {"cap_net_bind_service=ei (inheritable only)",
       [](Ctx& c) { return Target{setcap("cap_net_bind_service=ei", buildProbe(c.tmp / "p"))}; },
       "caps-inheritable-only"},
      {"static with cap_net_bind_service=ep",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", buildProbe(c.tmp / "p", {"-static"}))};
       }},
      {"$ORIGIN RUNPATH, no privilege",
       [](Ctx& c) { return Target{pair(c.tmp / "app", {kOriginRunpath})}; }},
      {"$ORIGIN RUNPATH under /tmp with file caps",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", pair(c.tmp / "app", {kOriginRunpath}))};
       },
       "secure-library-missing"},
      {"$ORIGIN RPATH under /tmp with file caps",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", pair(c.tmp / "app", {kOriginRpath}))};
       }},
      {"$ORIGIN RUNPATH under /usr/lib (trusted) with file caps",
       [](Ctx& c) {
         std::string base = c.dirUnder("/usr/lib");
         return Target{setcap("cap_net_bind_service=ep", pair(base, {kOriginRunpath}))};
       }},
      {"absolute RUNPATH with file caps",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         return Target{setcap("cap_net_bind_service=ep",
                              pair(base, {"-Wl,--enable-new-dtags,-rpath," + base + "/lib"}))};
       }},
      {"absolute RPATH with file caps",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         return Target{setcap("cap_net_bind_service=ep",
                              pair(base, {"-Wl,--disable-new-dtags,-rpath," + base + "/lib"}))};
       }},
      {"relative RUNPATH with file caps",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", pair(c.tmp / "app", {"-Wl,-rpath,lib"}))};
       },
       "relative-rpath"},
      {"LD_LIBRARY_PATH set, no privilege",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         return Target{pair(base, {}), {"LD_LIBRARY_PATH=" + base + "/lib"}};
       },
       "ld-library-path"},
      {"LD_LIBRARY_PATH set, file caps (secure mode ignores it)",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         return Target{setcap("cap_net_bind_service=ep", pair(base, {})),
                       {"LD_LIBRARY_PATH=" + base + "/lib"}};
       },
       "ld-library-path-ignored"},
      {"library nowhere ld.so looks", [](Ctx& c) { return Target{pair(c.tmp / "app", {})}; },
       "library-missing"},
      {"setuid root",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"chmod", "4755", p});
         return Target{p};
       },
       "setuid"},
      {"setuid to another user (daemon)",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"chown", "1:1", p});
         must({"chmod", "4755", p});
         return Target{p};
       }},
      {"setuid root with $ORIGIN RUNPATH under /tmp",
       [](Ctx& c) {
         std::string p = pair(c.tmp / "app", {kOriginRunpath});
         must({"chmod", "4755", p});
         return Target{p};
       }},
      {"#!/bin/sh script with file caps",
       [](Ctx& c) {
         std::string probe = buildProbe(c.tmp / "probe");
         std::string s =
             writeFile(c.tmp / "run.sh", "#!/bin/sh\nexec " + probe + " \"$@\"\n", "0755");
         return Target{setcap("cap_net_bind_service=ep", s)};
       },
       "script-privileges-ignored"},
      {"#!/usr/bin/env python3 script with file caps",
       [](Ctx& c) {
         std::string s = c.tmp / "probe.py";
         must({"cp", sourceDir() + "/programs/oracle_bind.py", s});
         must({"chmod", "0755", s});
         return Target{setcap("cap_net_bind_service=ep", s)};
       },
       "script-privileges-ignored"},
      {"command name: PATH search as nobody skips a directory nobody cannot search",
       [](Ctx& c) {
         // First on PATH: a root-only directory holding a script of the same name (what root
         // would run); then the real, setcap'd program.
         std::string priv = c.tmp / "private", pub = c.tmp / "public";
         mkdirs(priv);
         must({"chmod", "0700", priv});
         writeFile(priv + "/oracle-probe", "#!/bin/sh\nexit 0\n", "0755");
         setcap("cap_net_bind_service=ep", buildProbe(pub + "/oracle-probe"));
         const char* path = std::getenv("PATH");
         return Target{"oracle-probe",
                       {"PATH=" + priv + ":" + pub + ":" + (path ? path : "/usr/bin:/bin")}};
       }},
      {"cap_net_bind_service not in the bounding set",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", buildProbe(c.tmp / "p")),
                       {},
                       {"setpriv", "--bounding-set", "-net_bind_service", "--"}};
       },
       "bounding-set"},
      {"file caps, absolute RUNPATH directory writable by others",
       [](Ctx& c) { return absoluteRunpathWritable(c, "lib", "0777"); }},
      {"file caps, the library file writable by others",
       [](Ctx& c) { return absoluteRunpathWritable(c, "lib/libdoctor_lib.so", "0666"); }},
      {"file caps, trusted $ORIGIN directory under /usr/lib writable by others",
       [](Ctx& c) {
         std::string base = c.dirUnder("/usr/lib");
         std::string p = setcap("cap_net_bind_service=ep", pair(base, {kOriginRunpath}));
         must({"chmod", "0777", base + "/lib"});
         return Target{p, {}, {}, base + "/lib"};
       }},
      {"setuid root, absolute RPATH directory owned by nobody",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         std::string p = pair(base, {"-Wl,--disable-new-dtags,-rpath," + base + "/lib"});
         must({"chmod", "4755", p});
         must({"chown", "65534", base + "/lib"});
         return Target{p, {}, {}, base + "/lib"};
       }},
      {"Go program",
       [](Ctx& c) {
         std::string out = buildGo("oracle_bind.go", c.tmp.path(), "goprobe");
         return Target{out};
       },
       "", "go"},
      {"Go program with file caps",
       [](Ctx& c) {
         std::string out = buildGo("oracle_bind.go", c.tmp.path(), "goprobe");
         return Target{setcap("cap_net_bind_service=ep", out)};
       },
       "", "go"},
      // ---- what execve(2) checks before anything runs
      {"mode 0700, owned by another user (daemon)",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"chown", "1:1", p});
         must({"chmod", "0700", p});
         return Target{p};
       },
       "exec-fails"},
      {"mode 0755, an ACL entry denies nobody",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"setfacl", "-m", "u:nobody:---", p});
         return Target{p};
       },
       "exec-fails"},
      {"on a noexec mount",
       [](Ctx& c) {
         std::string d = mountTmpfs(c, c.tmp / "mnt", "noexec");
         return Target{buildProbe(d + "/p")};
       },
       "exec-fails"},
      {"in a directory nobody may not search (0700), by path",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "private/p");
         must({"chmod", "0700", c.tmp / "private"});
         return Target{p};
       },
       "exec-fails"},
      {"execute-only program (0711): the kernel reads it, nobody cannot",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"chmod", "0711", p});
         return Target{p};
       }},
      {"another architecture's ELF (e_machine AArch64)",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         patch(p, 18, kAarch64);
         return Target{p};
       },
       "exec-fails"},
      {"ELF interpreter (PT_INTERP) missing",
       [](Ctx& c) {
         return Target{buildProbe(c.tmp / "p", {"-Wl,--dynamic-linker=/nonexistent/ld.so"})};
       },
       "exec-fails"},
      {"empty file, mode 0755",
       [](Ctx& c) { return Target{writeFile(c.tmp / "empty", "", "0755")}; }, "exec-fails"},
      {"a directory",
       [](Ctx& c) {
         mkdirs(c.tmp / "dir");
         return Target{c.tmp / "dir"};
       },
       "exec-fails"},
      {"a FIFO, mode 0755",
       [](Ctx& c) {
         must({"mkfifo", "-m", "0755", c.tmp / "fifo"});
         return Target{c.tmp / "fifo"};
       },
       "exec-fails"},
      // ---- scripts
      {"#! to a missing interpreter",
       [](Ctx& c) {
         return Target{writeFile(c.tmp / "s", "#!/nonexistent/sh\necho started\n", "0755")};
       },
       "exec-fails"},
      {"#! line with a DOS line ending (CRLF)",
       [](Ctx& c) {
         std::string probe = buildProbe(c.tmp / "probe");
         return Target{
             writeFile(c.tmp / "s", "#!/bin/sh\r\nexec " + probe + " \"$@\"\r\n", "0755")};
       },
       "exec-fails"},
      {"#! to a script that runs the probe",
       [](Ctx& c) {
         std::string probe = buildProbe(c.tmp / "probe");
         std::string inner =
             writeFile(c.tmp / "inner", "#!/bin/sh\nshift\nexec " + probe + " \"$@\"\n", "0755");
         return Target{writeFile(c.tmp / "outer", "#!" + inner + "\n", "0755")};
       }},
      {"#! line longer than the kernel reads",
       [](Ctx& c) {
         return Target{
             writeFile(c.tmp / "s", "#!/" + std::string(300, 'x') + "\necho started\n", "0755")};
       },
       "exec-fails"},
      {"script on a noexec mount",
       [](Ctx& c) {
         std::string probe = buildProbe(c.tmp / "probe");
         std::string d = mountTmpfs(c, c.tmp / "mnt", "noexec");
         return Target{writeFile(d + "/s", "#!/bin/sh\nexec " + probe + " \"$@\"\n", "0755")};
       },
       "exec-fails"},
      // ---- file capabilities the kernel does not apply
      {"cap_net_bind_service=ep on a nosuid mount",
       [](Ctx& c) {
         std::string d = mountTmpfs(c, c.tmp / "mnt", "nosuid");
         return Target{setcap("cap_net_bind_service=ep", buildProbe(d + "/p"))};
       },
       "caps-ignored"},
      {"setuid root on a nosuid mount",
       [](Ctx& c) {
         std::string d = mountTmpfs(c, c.tmp / "mnt", "nosuid");
         std::string p = buildProbe(d + "/p");
         must({"chmod", "4755", p});
         return Target{p};
       },
       "setuid-ignored"},
      {"cap_net_bind_service=ep in a v3 xattr for another namespace (setcap -n 1000)",
       [](Ctx& c) {
         std::string p = buildProbe(c.tmp / "p");
         must({"setcap", "-n", "1000", "cap_net_bind_service=ep", p});
         return Target{p};
       },
       "caps-ignored"},
      {"cap_net_bind_service=ep, run under no_new_privs",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", buildProbe(c.tmp / "p")),
                       {},
                       {"setpriv", "--no-new-privs", "--"}};
       }},
      // ---- what ld.so searches and checks
      {"another architecture's library first on RUNPATH, the right one second",
       [](Ctx& c) {
         std::string wrong = buildLib(c.tmp / "wrong");
         patch(wrong, 18, kAarch64);
         std::string right = c.tmp / "right";
         buildLib(right);
         return Target{
             buildProbe(c.tmp / "p",
                        {"-Wl,--enable-new-dtags,-rpath," + c.tmp / "wrong" + ":" + right}, right)};
       }},
      {"library only in a glibc-hwcaps/x86-64-v2 subdirectory of RUNPATH, file caps",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         std::string lib = buildLib(base + "/lib");
         mkdirs(base + "/lib/glibc-hwcaps/x86-64-v2");
         std::string p = buildProbe(
             base + "/bin/p", {"-Wl,--enable-new-dtags,-rpath," + base + "/lib"}, base + "/lib");
         must({"mv", lib, base + "/lib/glibc-hwcaps/x86-64-v2/"});
         return Target{setcap("cap_net_bind_service=ep", p)};
       }},
      {"library found through /etc/ld.so.conf.d, file caps",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         buildLib(base + "/lib");
         std::string p = buildProbe(base + "/bin/p", {}, base + "/lib");
         RunResult r = run({"mktemp", "/etc/ld.so.conf.d/privbind-oracle-XXXXXX.conf"});
         REQUIRE(r.status == 0);
         std::string conf = r.out.substr(0, r.out.find('\n'));
         c.cleanup.paths.push_back(conf);
         c.cleanup.ldconfig = true;
         writeFile(conf, base + "/lib\n", "0644");
         must({"ldconfig"});
         return Target{setcap("cap_net_bind_service=ep", p)};
       }},
      {"library on RUNPATH that nobody may not read (0600)",
       [](Ctx& c) {
         std::string base = c.tmp / "app";
         std::string p = pair(base, {"-Wl,--enable-new-dtags,-rpath," + base + "/lib"});
         must({"chmod", "0600", base + "/lib/libdoctor_lib.so"});
         return Target{p};
       },
       "library-missing"},
      // ---- real interpreters
      {"Node script, #!/usr/bin/env node",
       [](Ctx& c) {
         std::string s = c.tmp / "probe.js";
         must({"cp", sourceDir() + "/programs/oracle_bind.js", s});
         must({"chmod", "0755", s});
         return Target{s};
       },
       "", "node"},
      {"busybox sh (static) running the probe",
       [](Ctx& c) {
         std::string probe = buildProbe(c.tmp / "probe");
         return Target{
             writeFile(c.tmp / "s", "#!/bin/busybox sh\nexec " + probe + " \"$@\"\n", "0755")};
       },
       "", "busybox"},
      // ---- another ELF class the kernel runs (IA32 emulation)
      {"32-bit x86 static program", [](Ctx& c) { return Target{buildProbe32(c.tmp / "p32")}; }, "",
       "m32"},
      {"32-bit x86 static program with cap_net_bind_service=ep",
       [](Ctx& c) {
         return Target{setcap("cap_net_bind_service=ep", buildProbe32(c.tmp / "p32"))};
       },
       "", "m32"},
      {"setcap'd copy of the system JDK under /opt",
       [](Ctx& c) { return setcapJdkCopy(c.dirUnder("/opt") + "/jdk"); }, "", "jdk"},
      {"setcap'd copy of the system JDK under /usr/lib/jvm",
       [](Ctx& c) { return setcapJdkCopy(c.dirUnder("/usr/lib/jvm")); }, "", "jdk"},
  };
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A recommended command must work on the file it names: `setcap -r FILE` only for a file with
// capabilities (setcap fails on one without), `chmod u-s,g-s FILE` only for a setuid/setgid one.
void checkRecommendations(const Said& said) {
  for (const auto& line : said.recommended) {
    for (const std::string prefix : {"setcap -r ", "chmod u-s,g-s "}) {
      if (line.rfind(prefix, 0) != 0) continue;
      std::string file = line.substr(prefix.size());
      if (file.size() > 1 && file.front() == '\'') file = file.substr(1, file.size() - 2);
      INFO("recommended: ", line);
      if (prefix[0] == 's') {
        CHECK(!run({"getcap", file}).out.empty());
      } else {
        CHECK(run({"sh", "-c", "[ -u \"$1\" ] || [ -g \"$1\" ]", "sh", file}).status == 0);
      }
    }
  }
}

// Builds each case of the table that needs `needs`, observes it, asks doctor, compares.
// Returns how many cases were judged.
int judgeAll(const std::string& needs) {
  int judged = 0;
  for (const auto& k : cases()) {
    if (needs != k.needs) continue;
    Ctx ctx;
    Target t = k.make(ctx);
    std::vector<std::string> args;
    if (needs == "jdk") {
      std::string src = ctx.tmp / "OracleBind.java";
      must({"cp", sourceDir() + "/programs/OracleBind.java", src});
      must({"chmod", "0644", src});
      args = {src};
    }
    Observed truth = observe(t, args);
    Said said = askDoctor(t);
    const bool hijack = t.hijack && nobodyCanWrite(*t.hijack);
    std::string truthLine = "starts " + py(truth.starts) + ", binds " + py(truth.binds) +
                            ", cgroup " + py(truth.cgroup) + ", broker " + py(truth.broker) +
                            ", caps " + py(truth.caps) + ", hijackable " + py(hijack);
    MESSAGE("oracle case: " << std::string(k.name) << " | " << truthLine);
    INFO("case: ", std::string(k.name));
    INFO("truth: ", truthLine);
    INFO("runs: ", truth.log);
    INFO("doctor: ", said.text);
    // Every case is one doctor can judge: never 125, never "not judged".
    CHECK(said.status != 125);
    CHECK(said.checked == "True");
    // A target that does not start or does not bind without help is a finding: exit 1.
    if (!truth.starts) CHECK(said.status == 1);
    CHECK(said.starts == py(truth.starts));
    CHECK(said.binds == py(truth.binds));
    CHECK(said.cgroup == py(truth.cgroup));
    CHECK(said.broker == py(truth.broker));
    CHECK(said.caps == py(truth.caps));
    // Negative control: a case built to be hijackable really is.
    if (t.hijack) CHECK_MESSAGE(hijack, "nobody cannot write " << *t.hijack);
    CHECK(said.hijack == hijack);
    if (*k.finding) CHECK_MESSAGE(has(said.codes, k.finding), "missing finding " << k.finding);
    checkRecommendations(said);
    ++judged;
  }
  return judged;
}

}  // namespace

TEST_SUITE("doctor_oracle") {
TEST_CASE("C programs, file capabilities, setuid, RPATH/RUNPATH, scripts, PATH, odd files") {
  CHECK(judgeAll("") >= 52);
}

TEST_CASE("Node") {
  if (run({"sh", "-c", "command -v node"}).status != 0) SKIP_TEST("node (nodejs) is not installed");
  CHECK(judgeAll("node") == 1);
}

TEST_CASE("32-bit x86 programs") {
  TempDir probe;
  RunResult cc = run({"cc", "-m32", "-nostdlib", "-static", "-fno-stack-protector", "-fno-pie",
                      "-no-pie", "-o", probe / "p32", sourceDir() + "/programs/oracle_bind_i386.c"},
                     120s);
  if (cc.status != 0) SKIP_TEST("cc cannot build 32-bit x86 code here: " + cc.err);
  CHECK(judgeAll("m32") == 2);
}

TEST_CASE("busybox") {
  if (access("/bin/busybox", X_OK) != 0)
    SKIP_TEST("/bin/busybox (busybox-static) is not installed");
  CHECK(judgeAll("busybox") == 1);
}

TEST_CASE("Go programs") {
  if (run({"sh", "-c", "command -v go"}).status != 0) SKIP_TEST("go (golang-go) is not installed");
  CHECK(judgeAll("go") == 2);
}

TEST_CASE("copies of the system JDK") {
  if (systemJdk().empty()) SKIP_TEST("no JDK behind /usr/bin/java");
  CHECK(judgeAll("jdk") == 2);
}
}  // TEST_SUITE("doctor_oracle")
