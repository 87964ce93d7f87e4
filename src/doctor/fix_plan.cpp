#include "doctor/fix_plan.h"

#include "doctor/tools.h"

namespace privbind::doctor::fixplan {

std::string fixedList(const BinaryReport& bin, const std::string& tag) {
  if (!bin.secure) return "";
  std::vector<std::string> out;
  bool changed = false;
  for (const auto& e : bin.entries) {
    if (e.tag != tag) continue;
    if (e.secure.dropped && e.secure.usesOrigin && !e.normal.dropped && !e.normal.relative) {
      std::string abs = rpath::normalizeForTrust(e.normal.expanded);
      if (abs.size() > 1) abs.pop_back();
      out.push_back(abs);
      changed = true;
    } else {
      out.push_back(e.normal.entry);
    }
  }
  return changed ? tools::joinList(out) : "";
}

}  // namespace privbind::doctor::fixplan
