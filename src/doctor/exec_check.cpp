#include "doctor/exec_check.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

#include "common/files.h"
#include "common/launch.h"
#include "common/unique_fd.h"
#include "doctor/tools.h"

namespace privbind::doctor::execcheck {

namespace {

std::string typeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Why the user may not execute path (access(2) said EACCES), in words, from what root sees.
std::string whyDenied(const std::string& path, uid_t uid) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return "uid " + std::to_string(uid) + " may not search a directory on the way to it";
  if (!S_ISREG(st.st_mode)) return "it is " + typeName(st.st_mode) + ", not a regular file";
  struct statvfs vfs {};
  if (statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
    return "it lies on a file system mounted noexec";
  return "uid " + std::to_string(uid) + " has no execute permission on it (mode " +
         tools::octal(st.st_mode & 07777) + ", owner " + std::to_string(st.st_uid) + ", group " +
         std::to_string(st.st_gid) + ", or an ACL)";
}

std::string visible(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '\r' ? std::string("\\r") : std::string(1, c);
  return out;
}

// The first bytes of the program, read by doctor itself.
Result<std::string> head(const std::string& path) {
  UniqueFd fd(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK); }));
  if (!fd) return Error::fromErrno("open(" + path + ")", errno);
  char buf[4];
  ssize_t n = retryEintr([&] { return ::read(fd.get(), buf, sizeof buf); });
  if (n < 0) return Error::fromErrno("read(" + path + ")", errno);
  return std::string(buf, static_cast<size_t>(n));
}

// Whether this x86-64 kernel runs 32-bit x86 programs (IA32 emulation), from its build
// configuration and command line; nullopt when it does not say.
std::optional<bool> ia32Emulation() {
  std::string zcat = tools::find("zcat");
  if (zcat.empty()) return std::nullopt;
  auto cfg = tools::run({zcat, "/proc/config.gz"});
  if (!cfg || cfg->status != 0) return std::nullopt;
  auto has = [&](const std::string& line) {
    return cfg->out.find("\n" + line + "\n") != std::string::npos;
  };
  if (!has("CONFIG_IA32_EMULATION=y")) return false;
  auto read = files::readFile("/proc/cmdline");
  const std::string cmdline = read ? *read : "";
  bool off = has("CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y");
  if (cmdline.find("ia32_emulation=0") != std::string::npos ||
      cmdline.find("ia32_emulation=false") != std::string::npos)
    off = true;
  if (cmdline.find("ia32_emulation=1") != std::string::npos ||
      cmdline.find("ia32_emulation=true") != std::string::npos)
    off = false;
  return !off;
}

// Whether binfmt_misc (binfmt_misc(4), Documentation/admin-guide/binfmt-misc.rst) has handlers
// registered: one may run what the kernel itself cannot (qemu-user, wine...).
bool binfmtMiscHandlers() {
  DIR* d = opendir("/proc/sys/fs/binfmt_misc");
  if (!d) return false;
  bool any = false;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == "status" || n == "register") continue;
    auto text = files::readFile("/proc/sys/fs/binfmt_misc/" + n);
    if (text && text->rfind("enabled", 0) == 0) any = true;
  }
  closedir(d);
  return any;
}

}  // namespace

Result<std::optional<elf::Info>> files(BinaryReport& bin, const ids::Target& as) {
  if (!bin.execFailure.empty()) return std::optional<elf::Info>();
  std::vector<std::string> chain;
  for (const auto& s : bin.scripts) chain.push_back(s.path);
  chain.push_back(bin.path);
  auto errors = launch::executableAs(chain, as);
  if (!errors) return errors.error();
  const std::string uid = std::to_string(as.user.uid);
  for (size_t i = 0; i < chain.size(); ++i) {
    const int err = (*errors)[i];
    if (err == 0) continue;
    const std::string& f = chain[i];
    const bool interpreter = i > 0;  // named by the "#!" line before it
    // The target itself is not there at all (a dangling symlink, a typo): nothing to inspect,
    // exit 125 as for a command not found on PATH, with elf::read's precise words.
    struct stat st {};
    if (!interpreter && (err == ENOENT || err == ENOTDIR) && stat(f.c_str(), &st) != 0) {
      auto missing = elf::read(f);
      Error e = missing ? Error::fromErrno(f, err) : missing.error();
      if (f != bin.query && e.what() == f) e.prefix(bin.query);
      return e;
    }
    std::string what =
        interpreter ? chain[i - 1] + ": its \"#!\" interpreter " + visible(f) : visible(f);
    if (err == ENOENT || err == ENOTDIR) {
      std::string cr = f.find('\r') != std::string::npos
                           ? R"( (the "#!" line ends in '\r': the script has DOS line endings))"
                           : "";
      bin.execFailure = what + " does not exist" + cr + ": execve(2) fails with ENOENT";
    } else if (err == EACCES) {
      bin.execFailure = what + " cannot be executed by uid " + uid + ": " +
                        whyDenied(f, as.user.uid) + "; execve(2) fails with EACCES";
    } else {
      bin.execFailure = what + ": execve(2) fails with " + std::string(strerror(err));
    }
    return std::optional<elf::Info>();
  }
  // A regular file the user may execute: the kernel now asks each binary format.
  auto h = head(bin.path);
  if (!h) return h.error();
  if (h->empty()) {
    bin.execFailure = bin.path + " is empty: execve(2) fails with ENOEXEC (Exec format error)";
    return std::optional<elf::Info>();
  }
  if (h->size() < 4 || h->compare(0, 4, ELFMAG, SELFMAG) != 0) {
    bin.execFailure = bin.path +
                      " is neither an ELF program nor a script with a \"#!\" line: execve(2) "
                      "fails with ENOEXEC (Exec format error)";
    return std::optional<elf::Info>();
  }
  auto info = elf::read(bin.path);
  if (!info) {
    Error e = info.error();
    if (bin.path != bin.query && e.what() == bin.path) e.prefix(bin.query);
    return e;
  }
  return std::optional<elf::Info>(std::move(*info));
}

Status program(BinaryReport& bin, const elf::Info& info, const loader::Host& host,
               const ids::Target& as) {
  const bool native = info.elfClass == host.elfClass && info.machine == host.machine;
  bin.native = native;
  if (!native) {
    const std::string what = bin.path + " is a " + std::to_string(info.elfClass) + "-bit " +
                             info.machineName + " program";
    if (binfmtMiscHandlers()) {
      bin.notJudged = what +
                      ", and binfmt_misc handlers are registered here: one of them may run "
                      "it, which doctor does not judge";
      return {};
    }
    bool compat = false;
    if (host.machine == EM_X86_64 && info.machine == EM_386 && info.elfClass == 32) {
      auto ia32 = ia32Emulation();
      if (!ia32) {
        bin.notJudged = what +
                        ", and doctor cannot tell whether this kernel runs 32-bit x86 "
                        "programs (IA32 emulation: /proc/config.gz unreadable)";
        return {};
      }
      compat = *ia32;
    } else if (host.machine == EM_AARCH64 && info.machine == EM_ARM && info.elfClass == 32) {
      bin.notJudged = what + "; doctor does not judge the 32-bit compat layer of this kernel";
      return {};
    }
    if (!compat) {
      bin.execFailure = what + "; this kernel runs " + std::to_string(host.elfClass) + "-bit " +
                        elf::machineName(host.machine) +
                        " programs and has no emulation or binfmt_misc handler for it: execve(2) "
                        "fails with ENOEXEC (Exec format error)";
      return {};
    }
    // The kernel runs it (IA32 emulation). A static program needs nothing more; a dynamic one
    // needs a 32-bit ld.so and libraries, which doctor's loader model does not cover.
    if (info.dynamic) {
      bin.notJudged = what +
                      " (the kernel runs it through IA32 emulation); doctor does not "
                      "judge the libraries of a dynamic program of another architecture";
    }
    return {};
  }
  if (info.dynamic) {
    auto errors = launch::executableAs({info.interpreter}, as);
    if (!errors) return errors.error();
    const int err = errors->front();
    if (err == ENOENT || err == ENOTDIR)
      bin.execFailure = bin.path + ": its ELF interpreter " + info.interpreter +
                        " does not exist: execve(2) fails with ENOENT";
    else if (err == EACCES)
      bin.execFailure = bin.path + ": its ELF interpreter " + info.interpreter +
                        " cannot be executed by uid " + std::to_string(as.user.uid) + ": " +
                        whyDenied(info.interpreter, as.user.uid) + "; execve(2) fails with EACCES";
    else if (err != 0)
      bin.execFailure = bin.path + ": its ELF interpreter " + info.interpreter +
                        ": execve(2) fails with " + std::string(strerror(err));
  }
  return {};
}

}  // namespace privbind::doctor::execcheck
