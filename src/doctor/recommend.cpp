#include "doctor/recommend.h"

#include <cctype>
#include <set>

#include "doctor/fix_plan.h"
#include "doctor/quote.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::recommend {

namespace {

bool has(const Report& report, const std::string& code) {
  for (const auto& f : report.findings)
    if (f.code == code) return true;
  return false;
}

}  // namespace

void fill(BinaryReport& bin, Report& report, const verdicts::Context& ctx) {
  // Every command below is pasted into a root shell: each word that comes from a file name is
  // quoted by quote::shell(), and comment lines never hold a name (a newline in it would end the
  // comment and start a command).
  auto& out = bin.recommended;
  const std::string& p = bin.path;
  const std::string q = quote::shell(p);
  // A script is run by name; the commands name the script, not its interpreter.
  const std::string run = quote::shell(bin.scripts.empty() ? p : bin.scripts.front().path);
  const std::string capsCmd = "privbind --mode=caps -u USER " + run + " ...";
  const std::string brokerCmd = "privbind --mode=broker -u USER " + run + " ...";
  // cgroup mode is the default: the command keeps no capability at all.
  const std::string cgroupCmd = "privbind -u USER " + run + " ...";
  if (!bin.checked) return;

  // A script's own privileges do nothing: take them off and let caps mode carry the capability.
  for (const auto& s : bin.scripts) {
    if (!s.fileCaps.empty()) out.push_back("setcap -r " + quote::shell(s.path));
    if (s.setuid || s.setgid) out.push_back("chmod u-s,g-s " + quote::shell(s.path));
  }

  // The way to take the file's own privilege away, when it has one.
  std::vector<std::string> drop;
  if (!bin.fileCaps.empty()) drop.push_back("setcap -r " + q);
  if (bin.setuid || bin.setgid) drop.push_back("chmod u-s,g-s " + q);

  bool originBroke = false;
  for (const auto& l : bin.libs)
    if (bin.secure && l.secure.empty() && !l.normal.empty()) originBroke = true;
  if (originBroke) {
    int step = 0;
    auto comment = [&](const std::string& text) {
      ++step;
      out.push_back("# " + std::to_string(step) + ". " + (step > 1 ? "or " : "") + text);
    };
    if (!fixplan::fixedList(bin, "RPATH").empty() || !fixplan::fixedList(bin, "RUNPATH").empty()) {
      std::string unsafe = fixplan::unsafeFix(bin);
      if (unsafe.empty()) {
        comment("rewrite the $ORIGIN entries to absolute paths (keeps the file's privileges):");
        out.push_back("privbind doctor --fix " + q);
      } else {
        report.add(Severity::kWarning, "fix-refused",
                   "--fix refuses " + quote::printable(p) + ": it would write " + unsafe);
      }
    }
    std::set<std::string> dirs;
    for (const auto& l : bin.libs)
      if (l.secure.empty() && !l.normal.empty()) {
        std::string d = l.normal.substr(0, l.normal.rfind('/'));
        std::string norm = rpath::normalizeForTrust(d);
        if (norm.size() > 1) norm.pop_back();
        dirs.insert(norm);
      }
    // ld.so.conf(5) is one directory per line, and ldconfig gives some characters a meaning of
    // their own (comments, separators, include): offer the line only for plain names. And only
    // for directories root alone can write to: ld.so.cache serves every program on the system.
    bool confSafe = true;
    for (const auto& d : dirs) {
      if (!writers::entryWriter(d).empty()) confSafe = false;
      for (char c : d)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' ||
              c == '-' || c == '+'))
          confSafe = false;
    }
    if (confSafe && !dirs.empty()) {
      comment("change no binary: let ld.so.cache find the libraries:");
      std::string name;
      for (char c : tools::baseOf(p))
        name +=
            isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
      std::vector<std::string> argv = {"printf", "%s\\n"};
      argv.insert(argv.end(), dirs.begin(), dirs.end());
      out.push_back(quote::shellJoin(argv) + " > " +
                    quote::shell("/etc/ld.so.conf.d/privbind-" + name + ".conf") + " && ldconfig");
    }
    // Without its privilege the program runs in normal mode, where every library loads: cgroup
    // mode then works wherever the host supports it, and needs no capability at all.
    if (ctx.cgroup.works && bin.loadsNormal) {
      comment(
          "drop the file's privilege and run it in cgroup mode, the default (no capability at "
          "all, no change to the binary):");
      out.insert(out.end(), drop.begin(), drop.end());
      out.push_back(cgroupCmd);
    } else {
      comment(
          "drop the file's privilege and let privbind grant the capability (caps mode needs no "
          "change to the binary):");
      out.insert(out.end(), drop.begin(), drop.end());
      out.push_back(capsCmd);
    }
    if (!bin.package.empty())
      report.add(Severity::kWarning, "packaged-file",
                 p + " belongs to the Debian package " + bin.package +
                     ": an upgrade replaces the file and undoes both setcap and --fix; prefer the "
                     "/etc/ld.so.conf.d entry or caps mode, which change no packaged file");
    return;
  }
  if (has(report, "caps-not-effective")) out.push_back("setcap cap_net_bind_service=ep " + q);
  if (has(report, "caps-mode-eperm") || has(report, "caps-without-bind") ||
      has(report, "bounding-set") || has(report, "cgroup-mode-eperm")) {
    out.insert(out.end(), drop.begin(), drop.end());
    // Once the file's capabilities are gone, nothing stops cgroup mode where the host has it.
    if (!bin.cgroupWorks && ctx.cgroup.works && !bin.fileCaps.empty() && bin.loadsNormal)
      out.push_back(cgroupCmd);
  }
  // Every mode that works, the least privileged first: cgroup mode (no capability), broker
  // mode (a helper holds the capability), caps mode (the command holds it).
  if (bin.cgroupWorks) out.push_back(cgroupCmd);
  if (bin.brokerWorks) out.push_back(brokerCmd);
  if (bin.capsWorks) out.push_back(capsCmd);
}

}  // namespace privbind::doctor::recommend
