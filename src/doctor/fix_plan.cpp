#include "doctor/fix_plan.h"

#include "common/text.h"
#include "doctor/quote.h"
#include "doctor/tools.h"
#include "doctor/writers.h"

namespace privbind::doctor::fixplan {

std::vector<std::string> fixedEntries(const BinaryReport& bin, const std::string& tag) {
  if (!bin.secure) return {};
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
  return changed ? out : std::vector<std::string>{};
}

std::string fixedList(const BinaryReport& bin, const std::string& tag) {
  return text::join(fixedEntries(bin, tag), ":");
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

std::string unsafeFix(const BinaryReport& bin) {
  for (const char* tag : {"RPATH", "RUNPATH"})
    for (const auto& e : fixedEntries(bin, tag)) {
      std::string why = unsafeEntry(e);
      if (why.empty()) {
        if (std::string who = writers::entryWriter(e); !who.empty())
          why = quote::printable(who) + ": whoever can write there could put a library in it";
      }
      if (!why.empty())
        return std::string("DT_") + tag + " entry '" + quote::printable(e) + "': " + why;
    }
  return "";
}

}  // namespace privbind::doctor::fixplan
