#include "doctor/loader.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cstdlib>
#include <deque>
#include <set>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "doctor/tools.h"

namespace privbind::doctor::loader {

namespace {

using tools::dirOf;

// Value between the first pair of double quotes: `key="value"` -> value.
std::string quoted(std::string_view line) {
  auto a = line.find('"');
  auto b = line.rfind('"');
  if (a == std::string_view::npos || b <= a) return "";
  return std::string(line.substr(a + 1, b - a - 1));
}

rpath::LoaderContext contextFor(const Host& host, const std::string& origin, bool secure,
                                bool isExecutable) {
  rpath::LoaderContext ctx;
  ctx.origin = origin;
  ctx.secure = secure;
  ctx.isExecutable = isExecutable;
  ctx.lib = host.lib;
  ctx.platform = host.platform;
  ctx.systemDirs = host.systemDirs;
  return ctx;
}

// The directories one list contributes in one mode: expanded, kept, absolute.
std::vector<std::string> searchDirs(const std::vector<std::string>& list,
                                    const rpath::LoaderContext& ctx) {
  std::vector<std::string> dirs;
  for (const auto& entry : list) {
    auto x = rpath::expandEntry(entry, ctx);
    // Relative entries depend on the service's working directory, which doctor cannot know;
    // they are reported as entries, not searched.
    if (x.dropped || x.relative) continue;
    dirs.push_back(x.expanded);
  }
  return dirs;
}

struct Object {
  std::string path;
  elf::Info info;
  bool isExe = false;
  std::vector<std::string> rpathDirs, runpathDirs;
};

class Resolver {
 public:
  Resolver(const Host& host, bool secure) : host_(host), secure_(secure) {}

  // name -> (neededBy, path), in the order ld.so meets them.
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> run(
      const elf::Info& exeInfo, const std::string& exePath) {
    std::vector<std::pair<std::string, std::pair<std::string, std::string>>> out;
    std::deque<Object> queue;
    queue.push_back(makeObject(exeInfo, exePath, true));
    const Object exe = queue.front();
    std::set<std::string> loaded;
    size_t objects = 0;
    while (!queue.empty() && objects < 512) {
      Object obj = std::move(queue.front());
      queue.pop_front();
      ++objects;
      for (const auto& name : obj.info.needed) {
        if (loaded.contains(name)) continue;
        loaded.insert(name);
        std::string found = find(name, obj, exe);
        out.push_back({name, {obj.path, found}});
        if (found.empty()) continue;
        const auto* info = readCached(found);
        if (!info) continue;
        if (!info->soname.empty()) loaded.insert(info->soname);
        queue.push_back(makeObject(*info, found, false));
      }
    }
    return out;
  }

 private:
  Object makeObject(const elf::Info& info, const std::string& path, bool isExe) {
    Object o;
    o.path = path;
    o.info = info;
    o.isExe = isExe;
    auto ctx = contextFor(host_, dirOf(tools::realPathOr(path)), secure_, isExe);
    o.rpathDirs = searchDirs(info.rpath, ctx);
    o.runpathDirs = searchDirs(info.runpath, ctx);
    return o;
  }

  const elf::Info* readCached(const std::string& path) {
    auto it = infos_.find(path);
    if (it == infos_.end()) {
      auto r = elf::read(path);
      it = infos_.emplace(path, r ? std::optional<elf::Info>(*r) : std::nullopt).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  // ld.so skips files of the wrong class or machine and carries on searching.
  bool usable(const std::string& path, const Object& loader) {
    const elf::Info* info = readCached(path);
    return info && info->elfClass == loader.info.elfClass && info->machine == loader.info.machine;
  }

  std::string find(const std::string& name, const Object& loader, const Object& exe) {
    if (name.find('/') != std::string::npos) {
      // A NEEDED entry with a slash is a path, DSTs expanded, not searched.
      auto x = rpath::expandEntry(
          name, contextFor(host_, dirOf(tools::realPathOr(loader.path)), secure_, loader.isExe));
      return !x.dropped && usable(x.expanded, loader) ? x.expanded : "";
    }
    std::vector<std::string> dirs;
    if (!loader.info.hasRunpath) {
      dirs = loader.rpathDirs;
      if (!loader.isExe && !exe.info.hasRunpath)
        dirs.insert(dirs.end(), exe.rpathDirs.begin(), exe.rpathDirs.end());
    }
    if (!secure_) {
      for (const auto& d : host_.ldLibraryPath) dirs.push_back(d);
    }
    dirs.insert(dirs.end(), loader.runpathDirs.begin(), loader.runpathDirs.end());
    for (const auto& d : dirs)
      if (auto found = inDir((d == "/" ? "" : d) + "/", name, loader); !found.empty()) return found;
    auto range = host_.cache.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) {
      if (!hwcapsSupported(it->second)) continue;
      if (loader.info.noDefaultLib && rpath::isTrustedPath(it->second, host_.systemDirs)) continue;
      if (usable(it->second, loader)) return it->second;
    }
    if (!loader.info.noDefaultLib) {
      for (const auto& d : host_.systemDirs)
        if (auto found = inDir(d, name, loader); !found.empty()) return found;
    }
    return "";
  }

  // A cache entry in a glibc-hwcaps subdirectory counts only when the CPU supports it.
  bool hwcapsSupported(const std::string& path) const {
    const std::string marker = "/glibc-hwcaps/";
    size_t at = path.find(marker);
    if (at == std::string::npos) return true;
    size_t end = path.find('/', at + marker.size());
    if (end == std::string::npos) return true;
    const std::string sub = path.substr(at + 1, end - at);  // "glibc-hwcaps/x86-64-v3/"
    for (const auto& s : host_.hwcapsSubdirs)
      if (s == sub) return true;
    return false;
  }

  // name in dir (ending in '/'): first in each glibc-hwcaps subdirectory the CPU supports, then
  // in dir itself (glibc 2.33+, elf/dl-hwcaps.c).
  std::string inDir(const std::string& dir, const std::string& name, const Object& loader) {
    for (const auto& sub : host_.hwcapsSubdirs)
      if (std::string c = dir + sub + name; usable(c, loader)) return c;
    std::string candidate = dir + name;
    return usable(candidate, loader) ? candidate : "";
  }

  const Host& host_;
  bool secure_;
  std::map<std::string, std::optional<elf::Info>> infos_;
};

}  // namespace

Host probeHost() {
  Host host;
  auto self = elf::read("/proc/self/exe");
  if (self) {
    host.elfClass = self->elfClass;
    host.machine = self->machine;
  }
  if (self && !self->interpreter.empty()) {
    host.interpreter = self->interpreter;
    auto out = tools::run({self->interpreter, "--list-diagnostics"});
    if (out && out->status == 0) {
      std::vector<std::string> subdirs;
      unsigned long active = 0;
      for (std::string_view line : text::splitLines(out->out)) {
        if (line.rfind("dl_hwcaps_subdirs=", 0) == 0) {
          for (const auto& d : text::splitPathList(quoted(line)))
            if (!d.empty()) subdirs.push_back(d);
        } else if (line.rfind("dl_hwcaps_subdirs_active=", 0) == 0) {
          active = std::strtoul(std::string(line.substr(line.find('=') + 1)).c_str(), nullptr, 0);
        }
        if (line.rfind("path.system_dirs[", 0) == 0) {
          std::string dir = quoted(line);
          if (!dir.empty() && dir[0] == '/') host.systemDirs.push_back(dir);
        } else if (line.rfind("dl_platform=", 0) == 0) {
          host.platform = quoted(line);
        }
      }
      // Bit i of the mask: the i-th name of the list is supported by this CPU
      // (_dl_hwcaps_subdirs_active).
      for (size_t i = 0; i < subdirs.size() && i < 64; ++i)
        if (active & (1UL << i)) host.hwcapsSubdirs.push_back("glibc-hwcaps/" + subdirs[i] + "/");
    }
  }
  struct utsname u {};
  uname(&u);
  if (host.systemDirs.empty())
    host.systemDirs = rpath::defaultSystemDirs(std::string(u.machine) + "-linux-gnu");
  if (host.platform.empty()) host.platform = u.machine;
  for (auto& d : host.systemDirs)
    if (d.back() != '/') d += '/';
  // $LIB is the first trusted directory without its slashes: "lib/x86_64-linux-gnu" on Debian,
  // "lib64" on Fedora (glibc's configure sets both from the same slibdir).
  const std::string& first = host.systemDirs.front();
  host.lib = first.substr(1, first.size() - 2);

  // Relative entries depend on the service's working directory: reported nowhere, searched never.
  if (const char* llp = std::getenv("LD_LIBRARY_PATH"); llp && *llp)
    for (const auto& d : text::splitPathList(llp))
      if (!d.empty() && d[0] == '/') host.ldLibraryPath.push_back(d);

  std::string ldconfig = tools::find("ldconfig");
  auto out = ldconfig.empty() ? Result<tools::Output>(Error::refuse("ldconfig", "not found"))
                              : tools::run({ldconfig, "-p"});
  if (out && out->status == 0) {
    for (std::string_view line : text::splitLines(out->out)) {
      // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1"
      auto arrow = line.find(" => ");
      if (arrow == std::string::npos) continue;
      size_t start = line.find_first_not_of(" \t");
      size_t end = line.find(' ', start);
      if (start == std::string::npos || end == std::string::npos || end > arrow) continue;
      host.cache.emplace(line.substr(start, end - start), line.substr(arrow + 4));
    }
  }
  return host;
}

std::vector<EntryReport> entries(const elf::Info& info, const std::string& realPath,
                                 const Host& host) {
  std::vector<EntryReport> out;
  std::string origin = dirOf(realPath);
  auto normal = contextFor(host, origin, false, true);
  auto secure = contextFor(host, origin, true, true);
  for (auto [tag, list] : {std::pair{"RPATH", &info.rpath}, std::pair{"RUNPATH", &info.runpath}})
    for (const auto& e : *list)
      out.push_back({tag, rpath::expandEntry(e, normal), rpath::expandEntry(e, secure)});
  return out;
}

std::vector<LibReport> resolve(const elf::Info& info, const std::string& realPath,
                               const Host& host) {
  auto normal = Resolver(host, false).run(info, realPath);
  auto secure = Resolver(host, true).run(info, realPath);
  std::vector<LibReport> out;
  std::map<std::string, size_t> index;
  for (const auto& [name, found] : normal) {
    index[name] = out.size();
    out.push_back({name, found.first, found.second, ""});
  }
  for (const auto& [name, found] : secure) {
    auto it = index.find(name);
    if (it != index.end()) {
      out[it->second].secure = found.second;
    } else {
      index[name] = out.size();
      out.push_back({name, found.first, "", found.second});
    }
  }
  return out;
}

}  // namespace privbind::doctor::loader
