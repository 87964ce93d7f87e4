#include "doctor/fix.h"

#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "common/text.h"
#include "doctor/file_caps.h"
#include "doctor/fix_plan.h"
#include "doctor/quote.h"
#include "doctor/restore.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::fix {

namespace {

// The first problem of a report, for a one-line message.
std::string firstProblem(const Report& report) {
  for (const auto& f : report.findings)
    if (f.severity == Severity::kProblem) return f.code + ": " + quote::printable(f.message);
  return "";
}

// Writes the new list and gives the file back its owner, mode and capabilities; then reads it
// all back, and judges it with the inspection doctor itself uses. Any difference or remaining
// problem is an Error; the caller then restores the original.
Status rewrite(const std::string& path, bool isRpath, const std::string& after,
               const std::vector<std::string>& patchArgv, const struct stat& st,
               const std::string& caps, const Inspector& inspectAgain, FixReport& r,
               std::optional<Report>& judged) {
  auto out = tools::run(patchArgv);
  if (!out) return out.error();
  if (out->status != 0)
    return Error::refuse(
        quote::shellJoin(patchArgv),
        "failed with status " + std::to_string(out->status) + ": " + quote::printable(out->err));

  std::string capsAfterWrite = filecaps::read(path).text;
  if (!caps.empty())
    r.notes.push_back(capsAfterWrite.empty()
                          ? "the rewrite cleared security.capability, as every write does; "
                            "re-applied " +
                                caps
                          : "security.capability survived the rewrite; set again anyway");

  struct stat now {};
  if (stat(path.c_str(), &now) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  // chown(2) clears setuid/setgid and security.capability, so: owner, then mode, then caps.
  bool chowned = false;
  if (now.st_uid != st.st_uid || now.st_gid != st.st_gid) {
    if (chown(path.c_str(), st.st_uid, st.st_gid) != 0)
      return Error::fromErrno("chown(" + path + ")", errno);
    r.commands.push_back(quote::shellJoin(
        {"chown", std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid), "--", path}));
    chowned = true;
  }
  if ((now.st_mode & 07777) != (st.st_mode & 07777) || chowned) {
    if (chmod(path.c_str(), st.st_mode & 07777) != 0)
      return Error::fromErrno("chmod(" + path + ", " + tools::octal(st.st_mode) + ")", errno);
    r.commands.push_back(quote::shellJoin({"chmod", tools::octal(st.st_mode), "--", path}));
  }
  if (!caps.empty()) {
    r.commands.push_back(quote::shellJoin({"setcap", caps, path}));
    filecaps::CapPtr c(cap_from_text(caps.c_str()));
    if (!c || cap_set_file(path.c_str(), c.get()) != 0)
      return Error::fromErrno("cap_set_file(" + path + ", " + caps + ")", errno);
  }

  // Read it all back.
  auto info = elf::read(path);
  if (!info) return info.error();
  std::string got = text::join(isRpath ? info->rpath : info->runpath, ":");
  if (got != after || (isRpath ? !info->hasRpath : !info->hasRunpath))
    return Error::refuse(path, "after patchelf DT_" + r.tag + " is '" + quote::printable(got) +
                                   "', expected '" + quote::printable(after) + "'");
  if (stat(path.c_str(), &now) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  if (now.st_uid != st.st_uid || now.st_gid != st.st_gid ||
      (now.st_mode & 07777) != (st.st_mode & 07777))
    return Error::refuse(path, "owner or mode differ after the fix");
  if (std::string now_caps = filecaps::read(path).text; now_caps != caps)
    return Error::refuse(
        path, "file capabilities are '" + now_caps + "' after the fix, expected '" + caps + "'");

  // Judge the result as doctor judges any file: the fix is done only when no problem remains.
  auto report = inspectAgain();
  if (!report) return report.error();
  if (!report->binary || report->binary->path != path)
    return Error::refuse(path, "inspecting it again found another file");
  if (report->problems())
    return Error::refuse(path, "a problem remains after the rewrite: " + firstProblem(*report));
  judged = std::move(*report);
  return {};
}

}  // namespace

Result<FixReport> apply(const BinaryReport& bin, bool dryRun, const Inspector& inspectAgain,
                        std::optional<Report>& judged) {
  FixReport r;
  const std::string& path = bin.path;
  std::vector<std::string> rpathNew = fixplan::fixedEntries(bin, "RPATH");
  std::vector<std::string> runpathNew = fixplan::fixedEntries(bin, "RUNPATH");
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
    return Error::refuse(quote::printable(path),
                         "both DT_RPATH and DT_RUNPATH carry $ORIGIN entries; patchelf "
                         "cannot rewrite them separately, fix this binary by hand");
  bool isRpath = !rpathNew.empty();
  r.tag = isRpath ? "RPATH" : "RUNPATH";
  // Nothing is written that ld.so would read differently from what it says: no entry that is
  // relative or contains ':' or '$' (ld.so(8)). The directory names come from where the file
  // lies, and whoever chose them must not choose the privileged program's libraries.
  // Nor a directory into which someone other than root could put a library.
  if (std::string why = fixplan::unsafeFix(bin); !why.empty())
    return Error::refuse(quote::printable(path), "refusing to write " + why);
  r.after = text::join(isRpath ? rpathNew : runpathNew, ":");
  r.before = text::join(isRpath ? bin.info.rpath : bin.info.runpath, ":");
  r.backup = path + ".privbind-orig";
  struct stat bst {};
  r.backupExisted = lstat(r.backup.c_str(), &bst) == 0;

  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error::fromErrno("stat(" + path + ")", errno);
  std::string caps = filecaps::read(path).text;
  std::string patchelf = tools::find("patchelf");
  std::string patchelfShown = patchelf.empty() ? "patchelf" : patchelf;

  std::vector<std::string> patchArgv = {patchelfShown};
  if (isRpath) patchArgv.emplace_back("--force-rpath");  // keep DT_RPATH: it is searched first
  patchArgv.insert(patchArgv.end(), {"--set-rpath", r.after, path});
  const std::string setcapCmd = caps.empty() ? "" : quote::shellJoin({"setcap", caps, path});
  r.commands.push_back(quote::shellJoin({"cp", "--preserve=mode,ownership", "--", path, r.backup}));
  if (st.st_mode & 06000)
    r.commands.push_back(quote::shellJoin({"chmod", "u-s,g-s", "--", r.backup}));
  r.commands.push_back(quote::shellJoin(patchArgv));
  if (dryRun) {
    // What the real run does only when the rewrite changed them; harmless to run anyway.
    r.commands.push_back(quote::shellJoin(
        {"chown", std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid), "--", path}));
    r.commands.push_back(quote::shellJoin({"chmod", tools::octal(st.st_mode), "--", path}));
    if (!caps.empty()) r.commands.push_back(setcapCmd);
  }
  r.notes.push_back("the original is kept as " + r.backup +
                    " without file capabilities or setuid/setgid bits; to restore it: " +
                    quote::shellJoin({"mv", "--", r.backup, path}) +
                    (caps.empty() ? "" : " && " + setcapCmd));
  if (!bin.package.empty())
    r.notes.push_back("the file belongs to the Debian package " + bin.package +
                      ": an upgrade replaces it and undoes this fix");
  // The file is read, rewritten and given capabilities in several steps; nobody but root may be
  // able to swap it in between, or root would hand capabilities to someone else's program.
  std::string who = writers::untrustedWriter(path);
  // A copy this run did not make is never taken for the original: in a sticky directory anyone
  // can create that name first, and an old copy predates the file as it is now.
  std::string stale = r.backupExisted ? r.backup +
                                            " already exists; it was not made by this run and is "
                                            "not taken for the original: compare it with the "
                                            "file, then move it away"
                                      : "";
  if (dryRun) {
    if (!who.empty()) r.notes.push_back("a real --fix would refuse: " + who);
    if (!stale.empty()) r.notes.push_back("a real --fix would refuse: " + stale);
    r.status = FixStatus::kDryRun;
    return r;
  }
  if (!who.empty())
    return Error::refuse(
        quote::printable(path),
        "refusing to rewrite a privileged file that others can change: " + quote::printable(who) +
            "; make it and its directories root's, not writable by "
            "group or others");
  if (!stale.empty()) return Error::refuse(quote::printable(path), quote::printable(stale));

  // Preconditions, before anything changes.
  if (patchelf.empty())
    return Error::refuse("patchelf",
                         "not found on this system; install it (apt-get install "
                         "patchelf) or use the /etc/ld.so.conf.d fix or caps mode");
  if (geteuid() != 0)
    return Error::refuse(quote::printable(path),
                         "--fix needs root: it restores owner, mode and file capabilities "
                         "(CAP_CHOWN, CAP_FOWNER, CAP_SETFCAP)");
  if (access(path.c_str(), W_OK) != 0) return Error::fromErrno("access(" + path + ", W_OK)", errno);

  auto original = restore::keep(path, r.backup, st, caps);
  if (!original) return original.error();
  std::vector<std::string> planned = std::move(r.commands);
  r.commands.clear();
  for (auto& c : planned)
    if (c != setcapCmd) r.commands.push_back(std::move(c));
  if (auto s = rewrite(path, isRpath, r.after, patchArgv, st, caps, inspectAgain, r, judged); !s) {
    // Nothing is left half-fixed: put the original back (bytes, owner, mode, capabilities).
    Error e = s.error();
    judged.reset();
    if (auto back = restore::putBack(*original); !back)
      return Error::refuse(e.message(),
                           "restoring the original failed too: " + back.error().message() +
                               "; it is in " + quote::printable(r.backup));
    return Error::refuse(e.message(), "the original was restored");
  }
  r.status = FixStatus::kApplied;
  return r;
}

}  // namespace privbind::doctor::fix
