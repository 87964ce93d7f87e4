#include "doctor/fix.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "common/unique_fd.h"
#include "doctor/fix_plan.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::fix {

namespace {

struct CapFree {
  void operator()(void* p) const { cap_free(p); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::string capsText(const std::string& path) {
  CapPtr caps(cap_get_file(path.c_str()));
  if (!caps) return "";
  char* text = cap_to_text(caps.get(), nullptr);
  std::string out = text ? text : "";
  if (text) cap_free(text);
  return out == "=" ? "" : out;
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Copies path to backup byte for byte with the same owner and mode, minus setuid/setgid and
// without file capabilities: a backup must not be a second privileged program lying around. The
// report says how to restore it. Created with O_EXCL: an existing file (or symlink) there is
// never overwritten.
Status backupCopy(const std::string& path, const std::string& backup, const struct stat& st) {
  UniqueFd in(retryEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!in) return Error::fromErrno("open(" + path + ")", errno);
  UniqueFd out(retryEintr([&] {
    return open(backup.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }));
  if (!out) return Error::fromErrno("open(" + backup + ", O_CREAT|O_EXCL)", errno);
  char buf[65536];
  while (true) {
    ssize_t n = retryEintr([&] { return ::read(in.get(), buf, sizeof buf); });
    if (n < 0) return Error::fromErrno("read(" + path + ")", errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = retryEintr([&] { return ::write(out.get(), buf + done, n - done); });
      if (w < 0) return Error::fromErrno("write(" + backup + ")", errno);
      done += w;
    }
  }
  if (fsync(out.get()) != 0) return Error::fromErrno("fsync(" + backup + ")", errno);
  // chown before chmod and capabilities: chown(2) clears setuid bits and security.capability.
  if (fchown(out.get(), st.st_uid, st.st_gid) != 0)
    return Error::fromErrno("fchown(" + backup + ")", errno);
  if (fchmod(out.get(), st.st_mode & 01777) != 0)
    return Error::fromErrno("fchmod(" + backup + ")", errno);
  return {};
}

}  // namespace

Result<FixReport> apply(const BinaryReport& bin, bool dryRun) {
  FixReport r;
  const std::string& path = bin.path;
  std::string rpathNew = fixplan::fixedList(bin, "RPATH");
  std::string runpathNew = fixplan::fixedList(bin, "RUNPATH");
  if (rpathNew.empty() && runpathNew.empty()) {
    r.status = FixStatus::kUnchanged;
    r.notes.emplace_back(bin.secure
                             ? "no $ORIGIN entry is ignored in secure-execution mode: "
                               "nothing to rewrite"
                             : "the file has no file capabilities and no setuid/setgid bit: "
                               "it does not run in secure-execution mode, nothing to rewrite");
    return r;
  }
  if (!rpathNew.empty() && !runpathNew.empty())
    return Error::refuse(path,
                         "both DT_RPATH and DT_RUNPATH carry $ORIGIN entries; patchelf "
                         "cannot rewrite them separately, fix this binary by hand");
  bool isRpath = !rpathNew.empty();
  r.tag = isRpath ? "RPATH" : "RUNPATH";
  r.after = isRpath ? rpathNew : runpathNew;
  {
    std::string before;
    for (const auto& e : isRpath ? bin.info.rpath : bin.info.runpath)
      before += (before.empty() ? "" : ":") + e;
    r.before = before;
  }
  r.backup = path + ".privbind-orig";
  struct stat bst {};
  r.backupExisted = lstat(r.backup.c_str(), &bst) == 0;

  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  std::string caps = capsText(path);
  std::string patchelf = tools::find("patchelf");
  std::string patchelfShown = patchelf.empty() ? "patchelf" : patchelf;

  std::vector<std::string> patchArgv = {patchelfShown};
  if (isRpath) patchArgv.emplace_back("--force-rpath");  // keep DT_RPATH: it is searched first
  patchArgv.insert(patchArgv.end(), {"--set-rpath", r.after, path});
  const std::string backupCmd =
      tools::shellJoin({"cp", "--preserve=mode,ownership", "--", path, r.backup});
  const std::string backupChmod = tools::shellJoin({"chmod", "u-s,g-s", "--", r.backup});
  const std::string patchCmd = tools::shellJoin(patchArgv);
  const std::string chownCmd = tools::shellJoin(
      {"chown", std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid), "--", path});
  const std::string chmodCmd = tools::shellJoin({"chmod", octal(st.st_mode), "--", path});
  const std::string setcapCmd = caps.empty() ? "" : tools::shellJoin({"setcap", caps, path});
  if (!r.backupExisted) {
    r.commands.push_back(backupCmd);
    if (st.st_mode & 06000) r.commands.push_back(backupChmod);
  }
  r.commands.push_back(patchCmd);
  if (dryRun) {
    // What the real run does only when the rewrite changed them; harmless to run anyway.
    r.commands.push_back(chownCmd);
    r.commands.push_back(chmodCmd);
  }
  if (!caps.empty()) r.commands.push_back(setcapCmd);
  if (r.backupExisted) {
    r.notes.push_back(r.backup + " already exists and is kept as the original");
  } else {
    r.notes.push_back("the original is kept as " + r.backup +
                      " without file capabilities or setuid/setgid bits; to restore it: " +
                      tools::shellJoin({"mv", "--", r.backup, path}) +
                      (caps.empty() ? "" : " && " + setcapCmd));
  }
  if (!bin.package.empty())
    r.notes.push_back("the file belongs to the Debian package " + bin.package +
                      ": an upgrade replaces it and undoes this fix");
  // The file is read, rewritten and given capabilities in several steps; nobody but root may be
  // able to swap it in between, or root would hand capabilities to someone else's program.
  std::string who = writers::untrustedWriter(path);
  if (dryRun) {
    if (!who.empty()) r.notes.push_back("a real --fix would refuse: " + who);
    r.status = FixStatus::kDryRun;
    return r;
  }
  if (!who.empty())
    return Error::refuse(path,
                         "refusing to rewrite a privileged file that others can change: " + who +
                             "; make it and its directories root's, not writable by "
                             "group or others");

  // Preconditions, before anything changes.
  if (patchelf.empty())
    return Error::refuse("patchelf",
                         "not found on this system; install it (apt-get install "
                         "patchelf) or use the /etc/ld.so.conf.d fix or caps mode");
  if (!caps.empty() && geteuid() != 0)
    return Error::refuse(path,
                         "re-applying its file capabilities needs root (CAP_SETFCAP); run "
                         "as root");
  if (access(path.c_str(), W_OK) != 0) return Error::fromErrno("access(" + path + ", W_OK)", errno);

  if (!r.backupExisted)
    if (auto s = backupCopy(path, r.backup, st); !s) return s.error();

  auto out = tools::run(patchArgv);
  if (!out) return out.error();
  if (out->status != 0)
    return Error::refuse(tools::shellJoin(patchArgv),
                         "failed with status " + std::to_string(out->status) + ": " + out->err +
                             " (the original is in " + r.backup + ")");

  std::string capsAfterWrite = capsText(path);
  if (!caps.empty())
    r.notes.push_back(capsAfterWrite.empty()
                          ? "the rewrite cleared security.capability, as every write does; "
                            "re-applied " +
                                caps
                          : "security.capability survived the rewrite; set again anyway");

  struct stat now {};
  if (stat(path.c_str(), &now) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  // chown(2) clears setuid/setgid and security.capability, so: owner, then mode, then caps.
  std::vector<std::string> done = std::move(r.commands);
  r.commands.clear();
  for (auto& c : done)
    if (c != setcapCmd) r.commands.push_back(std::move(c));
  bool chowned = false;
  if (now.st_uid != st.st_uid || now.st_gid != st.st_gid) {
    if (chown(path.c_str(), st.st_uid, st.st_gid) != 0)
      return Error::fromErrno("chown(" + path + ")", errno);
    r.commands.push_back(chownCmd);
    chowned = true;
  }
  if ((now.st_mode & 07777) != (st.st_mode & 07777) || chowned) {
    if (chmod(path.c_str(), st.st_mode & 07777) != 0)
      return Error::fromErrno("chmod(" + path + ", " + octal(st.st_mode) + ")", errno);
    r.commands.push_back(chmodCmd);
  }
  if (!caps.empty()) {
    r.commands.push_back(setcapCmd);
    CapPtr c(cap_from_text(caps.c_str()));
    if (!c || cap_set_file(path.c_str(), c.get()) != 0)
      return Error::fromErrno("cap_set_file(" + path + ", " + caps + ")", errno);
  }

  // Read it all back.
  auto info = elf::read(path);
  if (!info) return info.error();
  const auto& list = isRpath ? info->rpath : info->runpath;
  std::string got;
  for (const auto& e : list) got += (got.empty() ? "" : ":") + e;
  if (got != r.after || (isRpath ? !info->hasRpath : !info->hasRunpath))
    return Error::refuse(path, "after patchelf DT_" + r.tag + " is '" + got + "', expected '" +
                                   r.after + "' (the original is in " + r.backup + ")");
  if (stat(path.c_str(), &now) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  if (now.st_uid != st.st_uid || now.st_gid != st.st_gid ||
      (now.st_mode & 07777) != (st.st_mode & 07777))
    return Error::refuse(
        path, "owner or mode differ after the fix (the original is in " + r.backup + ")");
  if (capsText(path) != caps)
    return Error::refuse(path, "file capabilities are '" + capsText(path) +
                                   "' after the fix, "
                                   "expected '" +
                                   caps + "' (the original is in " + r.backup + ")");
  r.status = FixStatus::kApplied;
  return r;
}

}  // namespace privbind::doctor::fix
