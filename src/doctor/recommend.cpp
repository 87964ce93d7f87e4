#include "doctor/recommend.h"

#include <set>

#include "doctor/fix_plan.h"
#include "doctor/tools.h"

namespace privbind::doctor::recommend {

namespace {

bool has(const Report& report, const std::string& code) {
  for (const auto& f : report.findings)
    if (f.code == code) return true;
  return false;
}

}  // namespace

void fill(BinaryReport& bin, Report& report, const loader::Host& /*host*/) {
  auto& out = bin.recommended;
  const std::string& p = bin.path;
  const std::string q = tools::shellQuote(p);
  // A script is run by name; the commands name the script, not its interpreter.
  const std::string run = tools::shellQuote(bin.scripts.empty() ? p : bin.scripts.front().path);
  const std::string capsCmd = "privbind --mode=caps -u USER " + run + " ...";
  const std::string brokerCmd = "privbind -u USER " + run + " ...";
  if (!bin.checked) return;

  // A script's own privileges do nothing: take them off and let caps mode carry the capability.
  for (const auto& s : bin.scripts) {
    if (!s.fileCaps.empty()) out.push_back("setcap -r " + tools::shellQuote(s.path));
    if (s.setuid || s.setgid) out.push_back("chmod u-s,g-s " + tools::shellQuote(s.path));
  }

  // The way to take the file's own privilege away, when it has one.
  std::vector<std::string> drop;
  if (!bin.fileCaps.empty()) drop.push_back("setcap -r " + q);
  if (bin.setuid || bin.setgid) drop.push_back("chmod u-s,g-s " + q);

  bool originBroke = false;
  for (const auto& l : bin.libs)
    if (bin.secure && l.secure.empty() && !l.normal.empty()) originBroke = true;
  if (originBroke) {
    int n = 1;
    if (!fixplan::fixedList(bin, "RPATH").empty() || !fixplan::fixedList(bin, "RUNPATH").empty()) {
      out.push_back("# " + std::to_string(n++) +
                    ". rewrite the $ORIGIN entries to absolute paths (keeps the file's "
                    "privileges):");
      out.push_back("privbind doctor --fix " + q);
    }
    std::set<std::string> dirs;
    for (const auto& l : bin.libs)
      if (l.secure.empty() && !l.normal.empty()) {
        std::string d = l.normal.substr(0, l.normal.rfind('/'));
        std::string norm = rpath::normalizeForTrust(d);
        if (norm.size() > 1) norm.pop_back();
        dirs.insert(norm);
      }
    out.push_back("# " + std::to_string(n++) +
                  ". or change no binary: let ld.so.cache find the libraries:");
    std::string conf = "/etc/ld.so.conf.d/privbind-" + tools::baseOf(p) + ".conf";
    std::string lines;
    for (const auto& d : dirs) lines += (lines.empty() ? "" : "\\n") + d;
    out.push_back("printf '" + lines + "\\n' > " + conf + " && ldconfig");
    out.push_back("# " + std::to_string(n++) +
                  ". or drop the file's privilege and let privbind grant the capability (caps "
                  "mode needs no change to the binary):");
    out.insert(out.end(), drop.begin(), drop.end());
    out.push_back(capsCmd);
    if (!bin.package.empty())
      report.add(Severity::kWarning, "packaged-file",
                 p + " belongs to the Debian package " + bin.package +
                     ": an upgrade replaces the file and undoes both setcap and --fix; prefer the "
                     "/etc/ld.so.conf.d entry or caps mode, which change no packaged file");
    return;
  }
  if (has(report, "caps-not-effective")) out.push_back("setcap cap_net_bind_service=ep " + q);
  if (has(report, "caps-mode-eperm") || has(report, "caps-without-bind") ||
      has(report, "bounding-set")) {
    out.insert(out.end(), drop.begin(), drop.end());
  }
  if (bin.brokerWorks) out.push_back(brokerCmd);
  if (bin.capsWorks) out.push_back(capsCmd);
}

}  // namespace privbind::doctor::recommend
