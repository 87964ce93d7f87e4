// doctor's model of ld.so's RPATH/RUNPATH handling (text::splitPathList, normalizeForTrust,
// expandEntry). The input is: one flag byte (bit 0 secure-execution mode, bit 1 the entry
// belongs to the executable, bit 2 $PLATFORM has a value), the object's directory up to the
// first newline, then the ':'-separated list. Invariants:
//  - splitting and joining again gives the list back;
//  - normalizeForTrust agrees with a reference model of glibc's is_trusted_path_normalize
//    (a stack of segments that keeps its quirks: "/a//.." gives "/a/");
//  - expandEntry agrees with a reference expansion written from ld.so(8) (tokens, secure-mode
//    rules, trusted directories) whenever the object's directory is absolute, as ld.so's is;
//  - an expansion is dropped (with a reason and nothing to search) or names a directory;
//    in secure-execution mode an $ORIGIN entry of the executable survives only when $ORIGIN
//    starts it and it expands under a trusted directory; entries without '$' pass unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "doctor/rpath.h"
#include "fuzz_check.h"

namespace {

// The oracles below are written from ld.so(8) ("Dynamic string tokens", "Secure-execution mode")
// and from what glibc's is_trusted_path_normalize does to a path, in a different shape from
// src/doctor/rpath.cpp on purpose: a copy would agree with every mistake it carries.

// is_trusted_path_normalize as a stack of segments, each "/" + name: "." goes, ".." removes the
// last segment, and a doubled '/' leaves an empty segment that the next name fills. That keeps
// glibc's quirk: "/a//.." removes only the empty segment and gives "/a/".
std::string referenceNormalize(std::string_view absolute) {
  std::vector<std::string> segments;
  std::string_view rest = absolute.substr(1);  // absolute starts with '/'
  for (;;) {
    const size_t slash = rest.find('/');
    const std::string_view name = rest.substr(0, slash);
    if (name == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (name != ".") {
      if (!segments.empty() && segments.back().empty())
        segments.back() = std::string(name);
      else
        segments.emplace_back(name);
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  std::string out;
  for (const auto& s : segments) out += "/" + s;
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

bool identifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

struct Token {
  std::string_view name;  // "ORIGIN", "LIB" or "PLATFORM"
  size_t length;          // of its spelling in the entry, '$' included; 0: no token here
};

// The token spelled at entry[at] == '$': "$NAME" not followed by a letter, digit or '_', or
// "${NAME}".
Token tokenAt(std::string_view entry, size_t at) {
  for (std::string_view name : {"ORIGIN", "LIB", "PLATFORM"}) {
    const std::string braced = "${" + std::string(name) + "}";
    const std::string plain = "$" + std::string(name);
    if (entry.substr(at, braced.size()) == braced) return {name, braced.size()};
    if (entry.substr(at, plain.size()) == plain &&
        (at + plain.size() == entry.size() || !identifierChar(entry[at + plain.size()])))
      return {name, plain.size()};
  }
  return {"", 0};
}

struct Expected {
  bool dropped = false;
  std::string expanded;
};

// ld.so(8): $ORIGIN is the object's directory, $LIB and $PLATFORM the host's values; an entry
// that cannot be expanded is ignored. In secure-execution mode $ORIGIN counts only at the start
// of an entry (then the expansion must lie in a trusted directory for the program itself);
// anything else with $ORIGIN is ignored. Trailing slashes go before the search.
Expected referenceExpand(std::string_view entry, const privbind::doctor::rpath::LoaderContext& c) {
  Expected e;
  std::string out;
  bool origin = false;
  for (size_t i = 0; i < entry.size();) {
    const Token t = entry[i] == '$' ? tokenAt(entry, i) : Token{"", 0};
    if (t.length == 0) {
      out += entry[i++];
      continue;
    }
    std::string value = t.name == "ORIGIN" ? c.origin : t.name == "LIB" ? c.lib : c.platform;
    const bool atStart = i == 0 && (t.length == entry.size() || entry[t.length] == '/');
    if (value.empty() || (t.name == "ORIGIN" && c.secure && !atStart)) {
      e.dropped = true;
      return e;
    }
    origin = origin || t.name == "ORIGIN";
    out += value;
    i += t.length;
  }
  if (origin && c.secure && c.isExecutable) {
    const std::string norm = referenceNormalize(out.empty() || out[0] != '/' ? "/" + out : out);
    bool trusted = false;
    for (const auto& dir : c.systemDirs) trusted = trusted || norm.rfind(dir, 0) == 0;
    if (out.empty() || !trusted) {
      e.dropped = true;
      return e;
    }
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  e.expanded = out;
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace privbind;
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Real paths never hold NUL; ld.so would stop at one.
  if (rest.find('\0') != std::string_view::npos) return 0;
  const size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return 0;

  privbind::doctor::rpath::LoaderContext ctx;
  ctx.secure = data[0] & 1;
  ctx.isExecutable = data[0] & 2;
  ctx.platform = (data[0] & 4) ? "x86_64" : "";
  ctx.lib = "lib/x86_64-linux-gnu";
  ctx.origin = std::string(rest.substr(0, nl));
  ctx.systemDirs = privbind::doctor::rpath::defaultSystemDirs("x86_64-linux-gnu");
  const std::string_view list = rest.substr(nl + 1);

  auto entries = text::splitPathList(list);
  std::string joined;
  for (size_t i = 0; i < entries.size(); ++i) joined += (i ? ":" : "") + entries[i];
  FUZZ_CHECK(joined == list);

  for (const auto& entry : entries) {
    const std::string absolute = "/" + entry;
    const std::string norm = privbind::doctor::rpath::normalizeForTrust(absolute);
    FUZZ_CHECK(norm == referenceNormalize(absolute));
    FUZZ_CHECK(!norm.empty() && norm.front() == '/' && norm.back() == '/');

    privbind::doctor::rpath::Expansion x = privbind::doctor::rpath::expandEntry(entry, ctx);
    FUZZ_CHECK(x.entry == entry);
    if (ctx.origin.empty() || ctx.origin[0] == '/') {
      const Expected want = referenceExpand(entry, ctx);
      FUZZ_CHECK(x.dropped == want.dropped);
      if (!want.dropped) FUZZ_CHECK(x.expanded == want.expanded);
    }
    if (x.dropped) {
      FUZZ_CHECK(x.expanded.empty() && !x.reason.empty());
      continue;
    }
    if (entry.empty()) {
      FUZZ_CHECK(x.relative);
      continue;
    }
    FUZZ_CHECK(!x.expanded.empty());
    FUZZ_CHECK(x.relative == (x.expanded[0] != '/'));
    if (x.usesOrigin) FUZZ_CHECK(entry.find("ORIGIN") != std::string::npos);
    if (x.usesLib) FUZZ_CHECK(entry.find("LIB") != std::string::npos);
    if (x.usesPlatform) FUZZ_CHECK(entry.find("PLATFORM") != std::string::npos);
    if (ctx.secure && x.usesOrigin) {
      const Token first = tokenAt(entry, 0);
      FUZZ_CHECK(first.name == "ORIGIN" &&
                 (first.length == entry.size() || entry[first.length] == '/'));
      if (ctx.isExecutable)
        FUZZ_CHECK(privbind::doctor::rpath::isTrustedPath(x.expanded, ctx.systemDirs));
    }
    if (entry.find('$') == std::string::npos) {
      std::string want = entry;
      while (want.size() > 1 && want.back() == '/') want.pop_back();
      FUZZ_CHECK(x.expanded == want);
    }
  }
  return 0;
}
