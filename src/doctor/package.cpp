#include "doctor/package.h"

#include "doctor/tools.h"

namespace privbind::doctor::package {

std::string ownerOf(const std::string& path) {
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

}  // namespace privbind::doctor::package
