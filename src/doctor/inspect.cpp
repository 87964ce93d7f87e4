#include "doctor/inspect.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "common/caps.h"
#include "common/launch.h"
#include "common/proc_status.h"
#include "common/unique_fd.h"
#include "doctor/quote.h"
#include "doctor/tools.h"
#include "modes/cgroup/cgroup_mode.h"
#include "privbind/version.h"

namespace privbind::doctor::inspect {

namespace {

using tools::dirOf;

std::string baseOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

void add(Report& r, Severity s, std::string code, std::string message) {
  r.findings.push_back({s, std::move(code), std::move(message)});
}

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

// The file's capabilities as setcap(8) writes them, and what they mean for exec.
struct FileCaps {
  std::string text;
  bool anyPermitted = false, effective = false, netBind = false;
};

FileCaps readFileCaps(const std::string& path) {
  FileCaps fc;
  CapPtr caps(cap_get_file(path.c_str()));
  if (!caps) return fc;
  int last = caps::lastCap();
  for (cap_value_t c = 0; c <= last; ++c) {
    cap_flag_value_t p = CAP_CLEAR, e = CAP_CLEAR;
    cap_get_flag(caps.get(), c, CAP_PERMITTED, &p);
    cap_get_flag(caps.get(), c, CAP_EFFECTIVE, &e);
    if (p == CAP_SET) fc.anyPermitted = true;
    if (e == CAP_SET) fc.effective = true;
    if (c == CAP_NET_BIND_SERVICE && p == CAP_SET) fc.netBind = true;
  }
  char* text = cap_to_text(caps.get(), nullptr);
  if (text) {
    fc.text = text;
    cap_free(text);
  }
  if (fc.text == "=" || fc.text.empty()) fc = FileCaps{};
  return fc;
}

std::string packageOf(const std::string& path) {
  std::string dpkg = tools::find("dpkg-query");
  if (dpkg.empty()) return "";
  auto out = tools::run({dpkg, "-S", path});
  if (!out || out->status != 0) return "";
  // "openjdk-17-jre-headless:amd64: /usr/lib/jvm/.../bin/java"; skip "diversion by" lines.
  size_t pos = 0;
  while (pos < out->out.size()) {
    size_t nl = out->out.find('\n', pos);
    if (nl == std::string::npos) nl = out->out.size();
    std::string line = out->out.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("diversion ", 0) == 0) continue;
    auto sep = line.find(": ");
    if (sep == std::string::npos) continue;
    std::string pkg = line.substr(0, sep);
    if (line.substr(sep + 2) != path) continue;
    return pkg;
  }
  return "";
}

std::optional<JdkReport> detectJdk(const std::string& real) {
  std::string bin = dirOf(real);
  if (baseOf(bin) != "bin") return std::nullopt;
  std::string home = dirOf(bin);
  JdkReport jdk;
  jdk.home = home;
  if (exists(home + "/lib/libjli.so")) {
    jdk.layout = "9+";
    jdk.libjli = home + "/lib/libjli.so";
  } else {
    for (const char* arch : {"amd64", "aarch64", "i386", "ppc64le", "s390x", "arm"}) {
      for (const char* sub : {"/lib/", "/jre/lib/"}) {
        std::string p = home + sub + arch + "/jli/libjli.so";
        if (exists(p)) {
          jdk.layout = "8";
          jdk.libjli = p;
        }
      }
    }
  }
  if (jdk.layout.empty()) return std::nullopt;
  std::vector<std::string> binDirs = {home + "/bin"};
  if (exists(home + "/jre/bin")) binDirs.push_back(home + "/jre/bin");
  for (const auto& dir : binDirs) {
    struct DirClose {
      void operator()(DIR* d) const { closedir(d); }
    };
    std::unique_ptr<DIR, DirClose> d(opendir(dir.c_str()));
    if (!d) continue;
    std::set<std::string> names;
    while (auto* e = readdir(d.get())) names.insert(e->d_name);
    for (const auto& n : names) {
      std::string p = dir + "/" + n;
      if (!isExecutableFile(p) || p.ends_with(".privbind-orig")) continue;
      if (!readFileCaps(p).text.empty()) jdk.launchersWithCaps.push_back(p);
    }
  }
  return jdk;
}

// Whether dlopen of the shim succeeds, tried in a child so that a broken library cannot take
// doctor down with it.
bool loadableInChild(const std::string& path, std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = "pipe2(): " + std::string(strerror(errno));
    return false;
  }
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  pid_t pid = fork();
  if (pid < 0) {
    error = "fork(): " + std::string(strerror(errno));
    return false;
  }
  if (pid == 0) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* msg = dlerror();
      size_t n = msg ? strlen(msg) : 0;
      if (n) (void)!write(writeEnd.get(), msg, n);
      _exit(1);
    }
    _exit(0);
  }
  writeEnd.reset();
  char buf[1024];
  std::string msg;
  ssize_t n;
  while ((n = retryEintr([&] { return ::read(readEnd.get(), buf, sizeof buf); })) > 0)
    msg.append(buf, static_cast<size_t>(n));
  int status = 0;
  retryEintr([&] { return waitpid(pid, &status, 0); });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  error = msg.empty() ? "dlopen failed" : msg;
  return false;
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ':';
    out += s;
  }
  return out;
}

}  // namespace

void system(Report& report) {
  SystemReport s;
  struct utsname u {};
  if (uname(&u) == 0) s.kernel = std::string(u.sysname) + " " + u.release;
  s.ambient = caps::ambientSupported();
  s.unprivilegedPortStart = proc::unprivilegedPortStart();
  s.euid = geteuid();
  int last = caps::lastCap();
  if (auto st = proc::readSelf()) {
    // Root usually holds every capability: say "all" rather than forty names.
    uint64_t full = last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
    auto describe = [&](uint64_t mask) {
      return (mask & full) == full ? std::string("all") : caps::names(mask, last);
    };
    s.capEff = describe(st->capEff);
    s.capPrm = describe(st->capPrm);
    s.capBnd = describe(st->capBnd);
    s.bindInBounding = (st->capBnd & caps::bit(caps::kNetBindService)) != 0;
    s.bindEffective = (st->capEff & caps::bit(caps::kNetBindService)) != 0;
    s.noNewPrivs = st->noNewPrivs;
    s.seccomp = st->seccomp;
  }

  // The shim: next to the privbind binary first (a build tree), then the installed one.
  s.shimSearched = launch::shimCandidates();
  for (const auto& p : s.shimSearched) {
    if (exists(p)) {
      s.shimPath = p;
      break;
    }
  }
  if (!s.shimPath.empty()) {
    auto info = elf::read(s.shimPath);
    auto me = elf::read("/proc/self/exe");
    if (!info) {
      s.shimError = info.error().message();
    } else if (me && (info->elfClass != me->elfClass || info->machine != me->machine)) {
      s.shimError = "built for " + std::to_string(info->elfClass) + "-bit " + info->machineName +
                    ", privbind is " + std::to_string(me->elfClass) + "-bit " + me->machineName;
    } else {
      s.shimLoadable = loadableInChild(s.shimPath, s.shimError);
    }
  }

  unsigned start = s.unprivilegedPortStart;
  if (start == 0) {
    add(report, Severity::kInfo, "ports-unprivileged",
        "net.ipv4.ip_unprivileged_port_start is 0: every port is unprivileged here, no tool is "
        "needed to bind any port");
  } else {
    add(report, Severity::kInfo, "unprivileged-port-start",
        "net.ipv4.ip_unprivileged_port_start is " + std::to_string(start) +
            ": no tool needed for ports >= " + std::to_string(start) +
            "; ports below it need CAP_NET_BIND_SERVICE");
  }
  // The three modes, judged as privbind would: cgroup mode by its own probe (the programs
  // are loaded, then closed; nothing on the host changes).
  ModeVerdict cgroup{"cgroup", true, ""};
  if (auto probed = cgroupmode::probe(); !probed) {
    cgroup.works = false;
    cgroup.why = probed.error().message();
  }
  ModeVerdict broker{"broker", true, ""};
  ModeVerdict capsMode{"caps", true, ""};
  auto refuse = [](ModeVerdict& m, const std::string& why) {
    if (!m.works) return;
    m.works = false;
    m.why = why;
  };
  if (s.euid != 0) {
    refuse(broker, "privbind must run as root");
    refuse(capsMode, "privbind must run as root");
  }
  if (!s.bindInBounding) {
    refuse(broker, "cap_net_bind_service is not in the bounding set");
    refuse(capsMode, "cap_net_bind_service is not in the bounding set");
  }
  if (!s.ambient) refuse(capsMode, "no ambient capabilities (Linux 4.3 or later needed)");
  if (s.shimPath.empty()) refuse(broker, "the preload library is missing");
  else if (!s.shimLoadable) refuse(broker, "the preload library does not load");
  s.modes = {cgroup, broker, capsMode};
  if (!cgroup.works)
    add(report, Severity::kInfo, "cgroup-mode-unavailable",
        "cgroup mode cannot work here (" + cgroup.why + "): -m auto uses broker mode");

  if (!s.bindInBounding) {
    add(report, cgroup.works ? Severity::kWarning : Severity::kProblem, "no-bind-capability",
        "CAP_NET_BIND_SERVICE is not in privbind's bounding set, as in some containers: "
        "neither caps mode nor broker mode can work (cgroup mode does not need it); give the "
        "container or service that capability");
  } else if (s.euid != 0) {
    add(report, Severity::kWarning, "not-root",
        "doctor runs as uid " + std::to_string(s.euid) +
            "; privbind itself runs as root, so run 'sudo privbind doctor' to check what it can "
            "do");
  } else if (!s.bindEffective) {
    add(report, Severity::kProblem, "no-bind-capability",
        "privbind runs as root but without CAP_NET_BIND_SERVICE in its effective set (" + s.capEff +
            "): neither mode can work");
  }
  if (!s.ambient)
    add(report, Severity::kProblem, "no-ambient",
        "this kernel has no ambient capabilities (Linux 4.3 or later needed): caps mode cannot "
        "work; broker mode can");
  if (s.noNewPrivs == 1)
    add(report, Severity::kInfo, "no-new-privs",
        "no_new_privs is already set on privbind: setuid programs run by the service will not "
        "gain privileges; privbind itself is not affected");
  if (s.seccomp == 2)
    add(report, Severity::kWarning, "seccomp-filter",
        "a seccomp filter is active on privbind; doctor cannot see its rules, and a filter that "
        "refuses setresuid, prctl, capset or bind will make privbind fail");
  if (s.shimPath.empty()) {
    std::string where;
    for (const auto& p : s.shimSearched) where += (where.empty() ? "" : ", ") + p;
    add(report, Severity::kProblem, "shim-missing",
        "the preload library " + std::string(PRIVBIND_SHIM_NAME) + " is not in " + where +
            ": broker mode cannot work (caps mode can)");
  } else if (!s.shimLoadable) {
    add(report, Severity::kProblem, "shim-unloadable",
        "the preload library " + s.shimPath + " does not load: " + s.shimError +
            ": broker mode cannot work (caps mode can)");
  }
  report.system = std::move(s);
}

Result<BinaryReport> resolveTarget(const std::string& target) {
  BinaryReport bin;
  bin.query = target;
  std::string path;
  if (target.find('/') != std::string::npos) {
    path = target;
  } else {
    if (target == "java") {
      const char* home = std::getenv("JAVA_HOME");
      if (home && *home) {
        std::string candidate = std::string(home) + "/bin/java";
        if (isExecutableFile(candidate)) {
          path = candidate;
          bin.chain.push_back("$JAVA_HOME/bin/java = " + candidate);
        } else {
          bin.chain.push_back("$JAVA_HOME/bin/java (" + candidate +
                              ") is not an executable file; looking on PATH");
        }
      }
    }
    if (path.empty()) {
      for (const auto& candidate : launch::pathCandidates(target)) {
        if (candidate[0] != '/') continue;  // a relative PATH entry: not what root runs
        if (isExecutableFile(candidate)) {
          path = candidate;
          bin.chain.push_back("PATH: " + candidate);
          break;
        }
      }
    }
    if (path.empty())
      return Error::refuse(target, "not found: not a path, and no such command on PATH");
  }
  // Follow the symlinks one by one so that the report shows /etc/alternatives hops.
  std::string cur = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (lstat(cur.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    char buf[4096];
    ssize_t n = readlink(cur.c_str(), buf, sizeof buf - 1);
    if (n <= 0) break;
    std::string next(buf, static_cast<size_t>(n));
    if (next[0] != '/') next = dirOf(cur) + "/" + next;
    bin.chain.push_back(cur + " -> " + next);
    cur = next;
  }
  std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
  bin.path = real ? std::string(real.get()) : path;
  return bin;
}

Status binary(BinaryReport& bin, const loader::Host& host, Report& report) {
  auto info = elf::read(bin.path);
  if (!info) {
    Error e = info.error();
    if (bin.path != bin.query && e.what() == bin.path) e.prefix(bin.query);
    return e;
  }
  bin.info = *info;
  struct stat st {};
  if (stat(bin.path.c_str(), &st) != 0) return Error::fromErrno("stat(" + bin.path + ")", errno);
  bin.owner = st.st_uid;
  bin.group = st.st_gid;
  bin.mode = st.st_mode & 07777;
  bin.setuid = (st.st_mode & S_ISUID) != 0;
  bin.setgid = (st.st_mode & S_ISGID) != 0;
  FileCaps fc = readFileCaps(bin.path);
  bin.fileCaps = fc.text;
  bin.capsNetBind = fc.netBind;
  bin.capsEffective = fc.effective;
  // execve(2) of a setuid/setgid file, or of a file whose capabilities raise the permitted or
  // effective set, sets AT_SECURE for an ordinary user (capabilities(7), ld.so(8)).
  bool capsSecure = fc.anyPermitted || fc.effective;
  bin.secure = bin.setuid || bin.setgid || capsSecure;
  bin.native = info->elfClass == host.elfClass && info->machine == host.machine;
  bin.package = packageOf(bin.path);
  bin.jdk = detectJdk(bin.path);

  const std::string& p = bin.path;
  if (!bin.native) {
    add(report, Severity::kWarning, "foreign-architecture",
        p + " is a " + std::to_string(info->elfClass) + "-bit " + info->machineName +
            " program; privbind is built for this host's own architecture, so its libraries "
            "are not checked");
  }
  if (bin.native && info->dynamic) {
    bin.entries = loader::entries(*info, bin.path, host);
    bin.libs = loader::resolve(*info, bin.path, host);
  }
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) bin.loadsNormal = false;
    if (l.secure.empty()) bin.loadsSecure = false;
  }

  // Verdicts. Under privbind the command runs with no_new_privs, so setuid bits are ignored,
  // but file capabilities with the effective bit still make the exec secure (and clear ambient
  // capabilities) — exactly as when an ordinary user runs the file directly.
  bool loads = bin.secure ? bin.loadsSecure : bin.loadsNormal;
  bin.startsAsUser = bin.native && loads;
  bin.capsWorks = bin.native && (capsSecure ? bin.loadsSecure : bin.loadsNormal);
  bin.brokerWorks = bin.native && info->dynamic && !info->isGo && !capsSecure && bin.loadsNormal;

  std::vector<std::string> dropped, relative;
  for (const auto& e : bin.entries) {
    if (e.secure.dropped && e.secure.usesOrigin) dropped.push_back(e.tag + " " + e.secure.entry);
    if (e.secure.relative) relative.push_back(e.tag + " '" + e.secure.entry + "'");
  }
  for (const auto& l : bin.libs) {
    if (l.normal.empty()) {
      add(report, Severity::kProblem, "library-missing",
          l.name + " (needed by " + l.neededBy +
              ") will not load at all: ld.so finds it in "
              "none of the RPATH/RUNPATH entries, ld.so.cache or the system directories");
    } else if (bin.secure && l.secure.empty()) {
      std::string why =
          dropped.empty() ? "it is not in any directory ld.so searches in that mode"
                          : "ld.so ignores $ORIGIN in that mode because " + dirOf(bin.path) +
                                " is not under a trusted directory (" + joinList(host.systemDirs) +
                                "), and it only finds " + l.name + " through $ORIGIN";
      add(report, Severity::kProblem, "secure-library-missing",
          l.name + " will not load when an ordinary user runs " + p + ": the file has " +
              (bin.setuid || bin.setgid ? "setuid/setgid" : "file capabilities") +
              ", so it runs in secure-execution mode (AT_SECURE), and " + why +
              ". Without that mode it would load from " + l.normal);
    }
  }
  if (bin.secure && !dropped.empty() && bin.loadsSecure) {
    std::string list;
    for (const auto& d : dropped) list += (list.empty() ? "" : ", ") + d;
    add(report, Severity::kWarning, "origin-ignored",
        "secure-execution mode ignores " + list +
            "; every library still loads from elsewhere, "
            "but not from the directory the author intended");
  }
  if (!relative.empty()) {
    std::string list;
    for (const auto& d : relative) list += (list.empty() ? "" : ", ") + d;
    add(report, bin.secure ? Severity::kProblem : Severity::kWarning, "relative-rpath",
        list + " resolve against the working directory of the process" +
            (bin.secure ? std::string(": whoever chooses that directory can load code into a "
                                      "privileged program; make the entries absolute (--fix "
                                      "does not guess them)")
                        : std::string("; libraries then depend on where the service starts")));
  }
  if (bin.secure) {
    std::string who = untrustedWriter(bin.path);
    if (!who.empty())
      add(report, Severity::kWarning, "unsafe-location",
          p + " is privileged (file capabilities or setuid/setgid), but " + who +
              ": someone other than root can replace it or link it elsewhere; --fix refuses "
              "to work there");
  }
  if (!bin.fileCaps.empty() && !bin.capsNetBind)
    add(report, Severity::kInfo, "caps-without-bind",
        p + " has file capabilities (" + bin.fileCaps +
            ") but not cap_net_bind_service: they do not let it bind reserved ports");
  if (info->isGo)
    add(report, Severity::kInfo, "go-binary",
        p + " is a Go program: Go makes its system calls directly, so broker mode's preload "
            "library cannot reach its binds; use caps mode");
  if (!info->dynamic && !info->isGo)
    add(report, Severity::kInfo, "static-binary",
        p + " is statically linked: no preload library reaches it, so broker mode cannot work; "
            "use caps mode");
  if (bin.setuid || bin.setgid)
    add(report, Severity::kInfo, "setuid",
        p + " is " + (bin.setuid ? "setuid" : "setgid") +
            "; privbind runs commands with no_new_privs, which ignores those bits");
  if (capsSecure && bin.native && info->dynamic)
    add(report, Severity::kInfo, "caps-ignore-preload",
        "with file capabilities the program runs in secure-execution mode, where ld.so ignores "
        "a preload library given by path: broker mode cannot reach its binds unless the file "
        "capabilities are removed (setcap -r)");

  // What to run.
  bool originBroke = false;
  for (const auto& l : bin.libs)
    if (bin.secure && l.secure.empty() && !l.normal.empty()) originBroke = true;
  // Every command below is pasted into a root shell: each word that comes from a file name is
  // quoted by quote::shell(), and comment lines never hold a name (a newline in it would end the
  // comment and start a command).
  std::string q = quote::shell(p);
  if (originBroke) {
    int step = 0;
    auto comment = [&](const std::string& text) {
      ++step;
      bin.recommended.push_back("# " + std::to_string(step) + ". " + (step > 1 ? "or " : "") +
                                text);
    };
    std::string unsafe = unsafeFix(bin);
    if (unsafe.empty()) {
      comment("rewrite the $ORIGIN entries to absolute paths (keeps the file capabilities):");
      bin.recommended.push_back("privbind doctor --fix " + q);
    } else {
      add(report, Severity::kWarning, "fix-refused",
          "--fix refuses " + quote::printable(p) + ": it would write " + unsafe);
    }
    std::set<std::string> dirs;
    for (const auto& l : bin.libs)
      if (l.secure.empty() && !l.normal.empty()) {
        std::string d = l.normal.substr(0, l.normal.rfind('/'));
        std::string norm = elf::normalizeForTrust(d);
        if (norm.size() > 1) norm.pop_back();
        dirs.insert(norm);
      }
    // ld.so.conf(5) is one directory per line, and ldconfig gives some characters a meaning of
    // their own (comments, separators, include): offer the line only for plain names. And only
    // for directories root alone can write to: ld.so.cache serves every program on the system.
    bool confSafe = true;
    for (const auto& d : dirs) {
      if (!entryWriter(d).empty()) confSafe = false;
      for (char c : d)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
              c == '-' || c == '+'))
          confSafe = false;
    }
    if (confSafe && !dirs.empty()) {
      comment("change no binary: let ld.so.cache find the libraries:");
      std::string name;
      for (char c : baseOf(p))
        name +=
            isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
      std::vector<std::string> argv = {"printf", "%s\\n"};
      argv.insert(argv.end(), dirs.begin(), dirs.end());
      bin.recommended.push_back(quote::shellJoin(argv) + " > " +
                                quote::shell("/etc/ld.so.conf.d/privbind-" + name + ".conf") +
                                " && ldconfig");
    }
    comment(
        "drop the file capabilities and let privbind grant the capability (caps mode needs no "
        "change to the binary):");
    bin.recommended.push_back("setcap -r " + q);
    bin.recommended.push_back("privbind --mode=caps -u USER " + q + " ...");
    if (!bin.package.empty())
      add(report, Severity::kWarning, "packaged-file",
          p + " belongs to the Debian package " + bin.package +
              ": an upgrade replaces the file and undoes both setcap and --fix; prefer the "
              "/etc/ld.so.conf.d entry or caps mode, which change no packaged file");
  } else if (bin.native && bin.fileCaps.empty() && !bin.setuid) {
    if (bin.brokerWorks) {
      bin.recommended.push_back("privbind -u USER " + q + " ...");
    }
    if (bin.capsWorks) bin.recommended.push_back("privbind --mode=caps -u USER " + q + " ...");
  }
  return {};
}

std::string untrustedWriter(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return path + ": " + strerror(errno);
  if (st.st_uid != 0) return path + " is owned by uid " + std::to_string(st.st_uid);
  if (st.st_mode & 022) return path + " is writable by its group or by others";
  std::string dir = path;
  while (dir != "/" && !dir.empty()) {
    dir = dirOf(dir);
    struct stat d {};
    if (lstat(dir.c_str(), &d) != 0) return dir + ": " + strerror(errno);
    if (d.st_uid != 0) return dir + " is owned by uid " + std::to_string(d.st_uid);
    if ((d.st_mode & 022) && !(d.st_mode & S_ISVTX))
      return dir + " is writable by its group or by others";
  }
  return "";
}

std::vector<std::string> fixedEntries(const BinaryReport& bin, const std::string& tag) {
  if (!bin.secure) return {};
  std::vector<std::string> out;
  bool changed = false;
  for (const auto& e : bin.entries) {
    if (e.tag != tag) continue;
    if (e.secure.dropped && e.secure.usesOrigin && !e.normal.dropped && !e.normal.relative) {
      std::string abs = elf::normalizeForTrust(e.normal.expanded);
      if (abs.size() > 1) abs.pop_back();
      out.push_back(abs);
      changed = true;
    } else {
      out.push_back(e.normal.entry);
    }
  }
  return changed ? out : std::vector<std::string>{};
}

std::string fixedList(const BinaryReport& bin, const std::string& tag) {
  return joinList(fixedEntries(bin, tag));
}

std::string unsafeEntry(const std::string& entry) {
  if (entry.empty() || entry[0] != '/')
    return "not an absolute directory: ld.so would look for libraries relative to the working "
           "directory of whoever runs the program";
  if (entry.find(':') != std::string::npos)
    return "contains ':', where ld.so splits the list: one part would be relative to the "
           "working directory, the other a directory that may not be root's (ld.so(8))";
  if (entry.find('$') != std::string::npos)
    return "contains '$', which ld.so expands again ($ORIGIN, $LIB, $PLATFORM; ld.so(8)): the "
           "directory written would not be the one searched";
  return "";
}

namespace {

// entryWriter() for one spelling of the path, walked from the entry up to '/'.
std::string pathWriter(const std::string& entry) {
  bool childMissing = false;  // the component below cur does not exist: cur's writers create it
  for (std::string cur = entry;; cur = dirOf(cur)) {
    struct stat st {};
    bool leaf = cur == entry;
    if (lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return cur + ": " + strerror(errno);
      childMissing = true;
    } else {
      if (st.st_uid != 0) return cur + " is owned by uid " + std::to_string(st.st_uid);
      // A symlink's own mode means nothing; where it leads is checked through realpath(3).
      bool sticky = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
      if (!S_ISLNK(st.st_mode) && (st.st_mode & 022) && (!sticky || leaf || childMissing))
        return cur + " is writable by its group or by others" +
               (childMissing ? std::string(", and a directory below it does not exist yet")
                             : std::string());
      childMissing = false;
    }
    if (cur == "/" || cur.empty() || cur == ".") return "";
  }
}

}  // namespace

std::string entryWriter(const std::string& entry) {
  if (std::string who = pathWriter(entry); !who.empty()) return who;
  std::unique_ptr<char, decltype(&std::free)> real(realpath(entry.c_str(), nullptr), &std::free);
  if (real && entry != real.get()) return pathWriter(real.get());
  return "";
}

std::string unsafeFix(const BinaryReport& bin) {
  for (const char* tag : {"RPATH", "RUNPATH"})
    for (const auto& e : fixedEntries(bin, tag)) {
      std::string why = unsafeEntry(e);
      if (why.empty()) {
        if (std::string who = entryWriter(e); !who.empty())
          why = quote::printable(who) + ": whoever can write there could put a library in it";
      }
      if (!why.empty())
        return std::string("DT_") + tag + " entry '" + quote::printable(e) + "': " + why;
    }
  return "";
}

}  // namespace privbind::doctor::inspect
