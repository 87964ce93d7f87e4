#include "doctor/rpath.h"

namespace privbind::doctor::rpath {

size_t dstLength(std::string_view text, std::string_view name) {
  bool curly = !text.empty() && text[0] == '{';
  std::string_view body = curly ? text.substr(1) : text;
  if (body.substr(0, name.size()) != name) return 0;
  char next = body.size() > name.size() ? body[name.size()] : '\0';
  if (curly && next != '}') return 0;
  bool identifier = (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') ||
                    (next >= '0' && next <= '9') || next == '_';
  if (identifier) return 0;
  return curly ? name.size() + 2 : name.size();
}

std::string normalizeForTrust(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      std::string_view rest = path.substr(i);
      if (rest.size() >= 2 && rest[1] == '.') {
        if (rest.size() >= 3 && rest[2] == '.' && (rest.size() == 3 || rest[3] == '/')) {
          // "/..": drop the last component written so far.
          while (!out.empty()) {
            char c = out.back();
            out.pop_back();
            if (c == '/') break;
          }
          i += 3;
          continue;
        }
        if (rest.size() == 2 || rest[2] == '/') {
          i += 2;  // "/."
          continue;
        }
      }
      if (!out.empty() && out.back() == '/') {
        ++i;  // "//"
        continue;
      }
    }
    out.push_back(path[i++]);
  }
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

bool isTrustedPath(std::string_view path, const std::vector<std::string>& systemDirs) {
  if (path.empty()) return false;
  std::string norm = normalizeForTrust(path);
  for (const auto& dir : systemDirs)
    if (!dir.empty() && norm.compare(0, dir.size(), dir) == 0) return true;
  return false;
}

Expansion expandEntry(std::string_view entry, const LoaderContext& ctx) {
  Expansion x;
  x.entry = std::string(entry);
  if (entry.empty()) {
    // ld.so keeps an empty entry as "" and searches the working directory.
    x.relative = true;
    x.reason = "empty entry: ld.so searches the current working directory";
    return x;
  }
  std::string out;
  bool checkTrusted = false;
  for (size_t i = 0; i < entry.size();) {
    if (entry[i] != '$') {
      out.push_back(entry[i++]);
      continue;
    }
    std::string_view rest = entry.substr(i + 1);
    size_t len = 0;
    if ((len = dstLength(rest, "ORIGIN")) != 0) {
      x.usesOrigin = true;
      char after = i + 1 + len < entry.size() ? entry[i + 1 + len] : '\0';
      if (ctx.secure && !(i == 0 && (after == '\0' || after == '/'))) {
        x.dropped = true;
        x.reason = "$ORIGIN is ignored in secure-execution mode unless it starts the entry";
        return x;
      }
      if (ctx.origin.empty()) {
        x.dropped = true;
        x.reason = "the object's directory ($ORIGIN) is unknown";
        return x;
      }
      out += ctx.origin;
      checkTrusted = ctx.secure && ctx.isExecutable;
    } else if ((len = dstLength(rest, "PLATFORM")) != 0) {
      x.usesPlatform = true;
      if (ctx.platform.empty()) {
        x.dropped = true;
        x.reason = "$PLATFORM has no value here";
        return x;
      }
      out += ctx.platform;
    } else if ((len = dstLength(rest, "LIB")) != 0) {
      x.usesLib = true;
      out += ctx.lib;
    } else {
      out.push_back('$');  // not a token ld.so knows: a literal '$'
      ++i;
      continue;
    }
    i += 1 + len;
  }
  if (checkTrusted && !isTrustedPath(out, ctx.systemDirs)) {
    x.dropped = true;
    x.reason = "$ORIGIN expands to " + out +
               ", which is not under a trusted system directory, so ld.so ignores it in "
               "secure-execution mode";
    return x;
  }
  // ld.so strips trailing slashes (keeping "/") before it searches.
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  x.expanded = out;
  if (out.empty() || out[0] != '/') {
    x.relative = true;
    x.reason = "relative entry: ld.so resolves it against the current working directory";
  }
  return x;
}

std::vector<std::string> defaultSystemDirs(std::string_view multiarch) {
  std::vector<std::string> dirs;
  if (!multiarch.empty()) {
    dirs.push_back("/lib/" + std::string(multiarch) + "/");
    dirs.push_back("/usr/lib/" + std::string(multiarch) + "/");
  }
  dirs.emplace_back("/lib/");
  dirs.emplace_back("/usr/lib/");
  return dirs;
}

}  // namespace privbind::doctor::rpath
