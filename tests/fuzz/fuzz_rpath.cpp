// doctor's model of ld.so's RPATH/RUNPATH handling (text::splitPathList, normalizeForTrust,
// expandEntry). The input is: one flag byte (bit 0 secure-execution mode, bit 1 the entry
// belongs to the executable, bit 2 $PLATFORM has a value), the object's directory up to the
// first newline, then the ':'-separated list. Invariants:
//  - splitting and joining again gives the list back;
//  - normalizeForTrust agrees with a reference written from glibc's is_trusted_path_normalize
//    (a textual walk that keeps its quirks: "/a//.." gives "/a/");
//  - an expansion is dropped (with a reason and nothing to search) or names a directory;
//    in secure-execution mode an $ORIGIN entry of the executable survives only when $ORIGIN
//    starts it and it expands under a trusted directory; entries without '$' pass unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/text.h"
#include "doctor/rpath.h"
#include "fuzz_check.h"

namespace {

std::string referenceNormalize(std::string_view p) {
  std::string w;
  size_t i = 0;
  auto at = [&](size_t k) { return i + k < p.size() ? p[i + k] : '\0'; };
  while (i < p.size()) {
    if (p[i] == '/') {
      if (at(1) == '.' && at(2) == '.' && (at(3) == '/' || at(3) == '\0')) {
        // Back to the last '/' written, which goes too.
        while (!w.empty()) {
          char c = w.back();
          w.pop_back();
          if (c == '/') break;
        }
        i += 3;
        continue;
      }
      if (at(1) == '.' && (at(2) == '/' || at(2) == '\0')) {
        i += 2;
        continue;
      }
      if (!w.empty() && w.back() == '/') {
        ++i;
        continue;
      }
    }
    w.push_back(p[i++]);
  }
  if (w.empty() || w.back() != '/') w.push_back('/');
  return w;
}

bool startsWithOrigin(std::string_view e) {
  for (std::string_view t : {"$ORIGIN", "${ORIGIN}"})
    if (e.substr(0, t.size()) == t && (e.size() == t.size() || e[t.size()] == '/')) return true;
  return false;
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
      FUZZ_CHECK(startsWithOrigin(entry));
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
