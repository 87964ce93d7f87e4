#include "doctor/jdk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <memory>
#include <set>

#include "doctor/file_caps.h"
#include "doctor/tools.h"

namespace privbind::doctor::jdk {

std::optional<JdkReport> detect(const std::string& real) {
  std::string bin = tools::dirOf(real);
  if (tools::baseOf(bin) != "bin") return std::nullopt;
  std::string home = tools::dirOf(bin);
  JdkReport jdk;
  jdk.home = home;
  if (tools::exists(home + "/lib/libjli.so")) {
    jdk.layout = "9+";
    jdk.libjli = home + "/lib/libjli.so";
  } else {
    for (const char* arch : {"amd64", "aarch64", "i386", "ppc64le", "s390x", "arm"}) {
      for (const char* sub : {"/lib/", "/jre/lib/"}) {
        std::string p = home + sub + arch + "/jli/libjli.so";
        if (tools::exists(p)) {
          jdk.layout = "8";
          jdk.libjli = p;
        }
      }
    }
  }
  if (jdk.layout.empty()) return std::nullopt;
  std::vector<std::string> binDirs = {home + "/bin"};
  if (tools::exists(home + "/jre/bin")) binDirs.push_back(home + "/jre/bin");
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
      if (!tools::isExecutableFile(p) || p.ends_with(".privbind-orig")) continue;
      if (!filecaps::read(p).text.empty()) jdk.launchersWithCaps.push_back(p);
    }
  }
  return jdk;
}

}  // namespace privbind::doctor::jdk
