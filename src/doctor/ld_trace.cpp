#include "doctor/ld_trace.h"

#include <string_view>

#include "common/text.h"
#include "doctor/tools.h"

namespace privbind::doctor::ldtrace {

std::optional<std::vector<std::pair<std::string, std::string>>> normalLoad(const elf::Info& info,
                                                                           const std::string& path,
                                                                           const loader::Host& host,
                                                                           const ids::Target& as) {
  if (!info.dynamic || host.interpreter.empty() || info.interpreter.empty()) return std::nullopt;
  if (info.elfClass != host.elfClass || info.machine != host.machine) return std::nullopt;
  if (tools::realPathOr(info.interpreter) != tools::realPathOr(host.interpreter))
    return std::nullopt;
  std::vector<std::string> env;
  if (!host.ldLibraryPath.empty())
    env.push_back("LD_LIBRARY_PATH=" + text::join(host.ldLibraryPath, ":"));
  // ld.so takes no "--": an absolute path can never be read as one of its options.
  if (path.empty() || path[0] != '/') return std::nullopt;
  auto out = tools::runAs({host.interpreter, "--list", path}, &as, env);
  if (!out) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> libs;
  // 127: ld.so stopped at a library it found but could not load (one the user may not read,
  // say): "PROG: error while loading shared libraries: NAME: cannot open shared object file".
  // That library does not load; the program itself unreadable to the user is no answer.
  const std::string marker = "error while loading shared libraries: ";
  if (out->status == 127) {
    size_t at = out->err.find(marker);
    if (at == std::string::npos) return std::nullopt;
    at += marker.size();
    size_t colon = out->err.find(": ", at);
    if (colon == std::string::npos) return std::nullopt;
    std::string name = out->err.substr(at, colon - at);
    if (name == path || name.find('/') != std::string::npos) return std::nullopt;
    libs.emplace_back(name, "");
    return libs;
  }
  // 0: everything found; 1: some library not found (each says so). Anything else is no answer:
  // the model stands alone.
  if (out->status != 0 && out->status != 1) return std::nullopt;
  for (std::string_view line : text::splitLines(out->out)) {
    // "\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)", "\tlibx.so => not found";
    // the vDSO and ld.so itself have no arrow.
    size_t start = line.find_first_not_of(" \t");
    size_t arrow = line.find(" => ");
    if (start == std::string_view::npos || arrow == std::string_view::npos || arrow < start)
      continue;
    std::string name(line.substr(start, arrow - start));
    std::string_view rest = line.substr(arrow + 4);
    if (rest.rfind("not found", 0) == 0) {
      libs.emplace_back(name, "");
      continue;
    }
    size_t paren = rest.rfind(" (0x");
    libs.emplace_back(name,
                      std::string(paren == std::string_view::npos ? rest : rest.substr(0, paren)));
  }
  if (out->status == 1 && libs.empty()) return std::nullopt;
  return libs;
}

}  // namespace privbind::doctor::ldtrace
