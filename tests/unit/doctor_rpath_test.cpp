// The dynamic loader's RPATH/RUNPATH rules as pure functions (glibc elf/dl-load.c, ld.so(8)).
#include <doctest/doctest.h>

#include "common/elf.h"
#include "doctor/rpath.h"

using namespace privbind::elf;
using namespace privbind::doctor::rpath;

namespace {

LoaderContext secureExe(std::string origin) {
  LoaderContext ctx;
  ctx.origin = std::move(origin);
  ctx.secure = true;
  ctx.isExecutable = true;
  ctx.lib = "lib/x86_64-linux-gnu";
  ctx.platform = "x86_64";
  ctx.systemDirs = defaultSystemDirs("x86_64-linux-gnu");
  return ctx;
}

LoaderContext normalExe(std::string origin) {
  LoaderContext ctx = secureExe(std::move(origin));
  ctx.secure = false;
  return ctx;
}

}  // namespace

TEST_CASE("dstLength follows the gABI token rules") {
  CHECK(dstLength("ORIGIN", "ORIGIN") == 6);
  CHECK(dstLength("ORIGIN/../lib", "ORIGIN") == 6);
  CHECK(dstLength("{ORIGIN}/x", "ORIGIN") == 8);
  CHECK(dstLength("ORIGINAL", "ORIGIN") == 0);  // identifier continues
  CHECK(dstLength("ORIGIN_X", "ORIGIN") == 0);
  CHECK(dstLength("ORIGIN9", "ORIGIN") == 0);
  CHECK(dstLength("{ORIGIN", "ORIGIN") == 0);    // unclosed brace
  CHECK(dstLength("{ORIGIN}x", "ORIGIN") == 8);  // after the brace anything goes
  CHECK(dstLength("ORIG", "ORIGIN") == 0);
  CHECK(dstLength("", "LIB") == 0);
  CHECK(dstLength("{", "LIB") == 0);
  CHECK(dstLength("LIB", "LIB") == 3);
  CHECK(dstLength("LIB.so", "LIB") == 3);
}

TEST_CASE("normalizeForTrust resolves . and .. textually and ends with '/'") {
  CHECK(normalizeForTrust("/usr/lib") == "/usr/lib/");
  CHECK(normalizeForTrust("/usr/lib/") == "/usr/lib/");
  CHECK(normalizeForTrust("/opt/jdk/bin/../lib") == "/opt/jdk/lib/");
  CHECK(normalizeForTrust("/usr//lib/./x") == "/usr/lib/x/");
  CHECK(normalizeForTrust("/usr/lib/../../../etc") == "/etc/");
  CHECK(normalizeForTrust("/") == "/");
  CHECK(normalizeForTrust("/..") == "/");
  CHECK(normalizeForTrust("/a/..b") == "/a/..b/");  // "..b" is a name, not ".."
}

TEST_CASE("isTrustedPath is a prefix match on normalised paths") {
  auto dirs = defaultSystemDirs("x86_64-linux-gnu");
  CHECK(isTrustedPath("/usr/lib/jvm/java-17-openjdk-amd64/bin/../lib", dirs));
  CHECK(isTrustedPath("/lib/x86_64-linux-gnu", dirs));
  CHECK_FALSE(isTrustedPath("/opt/jdk/lib", dirs));
  CHECK_FALSE(isTrustedPath("/usr/local/lib", dirs));
  CHECK_FALSE(isTrustedPath("/usr/libexec", dirs));  // "/usr/lib/" is not a prefix
  CHECK_FALSE(isTrustedPath("/usr/lib/../../tmp", dirs));
  CHECK_FALSE(isTrustedPath("", dirs));
  CHECK_FALSE(isTrustedPath("/usr/lib", {}));
}

TEST_CASE("normal mode: every token expands") {
  auto ctx = normalExe("/opt/jdk/bin");
  auto x = expandEntry("$ORIGIN/../lib", ctx);
  CHECK_FALSE(x.dropped);
  CHECK(x.usesOrigin);
  CHECK(x.expanded == "/opt/jdk/bin/../lib");
  CHECK(expandEntry("${ORIGIN}", ctx).expanded == "/opt/jdk/bin");
  CHECK(expandEntry("/x/$ORIGIN", ctx).expanded == "/x//opt/jdk/bin");
  auto lib = expandEntry("/usr/$LIB/foo", ctx);
  CHECK(lib.usesLib);
  CHECK(lib.expanded == "/usr/lib/x86_64-linux-gnu/foo");
  auto plat = expandEntry("/opt/${PLATFORM}/", ctx);
  CHECK(plat.usesPlatform);
  CHECK(plat.expanded == "/opt/x86_64");
  CHECK(expandEntry("/opt/$FOO/lib", ctx).expanded == "/opt/$FOO/lib");  // unknown: literal
  CHECK(expandEntry("/opt/$ORIGINAL", ctx).expanded == "/opt/$ORIGINAL");
  CHECK(expandEntry("/", ctx).expanded == "/");
}

TEST_CASE("secure mode: $ORIGIN of an executable outside trusted dirs is dropped") {
  auto ctx = secureExe("/opt/jdk/bin");
  for (const char* entry : {"$ORIGIN", "$ORIGIN/../lib", "${ORIGIN}/../lib"}) {
    auto x = expandEntry(entry, ctx);
    CHECK(x.dropped);
    CHECK(x.usesOrigin);
    CHECK(x.expanded.empty());
    CHECK(x.reason.find("trusted") != std::string::npos);
  }
}

TEST_CASE("secure mode: $ORIGIN under a trusted dir survives when it starts the entry") {
  auto ctx = secureExe("/usr/lib/jvm/java-17-openjdk-amd64/bin");
  auto x = expandEntry("$ORIGIN/../lib", ctx);
  CHECK_FALSE(x.dropped);
  CHECK(x.expanded == "/usr/lib/jvm/java-17-openjdk-amd64/bin/../lib");
  // ".." out of the trusted tree is caught after normalisation.
  CHECK(expandEntry("$ORIGIN/../../../../../opt", ctx).dropped);
}

TEST_CASE("secure mode: $ORIGIN anywhere but the start drops the entry, trusted or not") {
  auto ctx = secureExe("/usr/lib/app");
  CHECK(expandEntry("/usr/lib/$ORIGIN", ctx).dropped);
  CHECK(expandEntry("$ORIGINx", ctx).expanded == "$ORIGINx");  // not a token at all
  CHECK(expandEntry("${ORIGIN}x", ctx).dropped);               // token, but not followed by '/'
  CHECK(expandEntry("$ORIGIN$LIB", ctx).dropped);
}

TEST_CASE("secure mode: libraries' $ORIGIN skips the trust check") {
  auto ctx = secureExe("/opt/jdk/lib");
  ctx.isExecutable = false;
  auto x = expandEntry("$ORIGIN/server", ctx);
  CHECK_FALSE(x.dropped);
  CHECK(x.expanded == "/opt/jdk/lib/server");
}

TEST_CASE("secure mode: $LIB and $PLATFORM are fixed by ld.so and kept") {
  auto ctx = secureExe("/opt/x");
  CHECK(expandEntry("/opt/$LIB", ctx).expanded == "/opt/lib/x86_64-linux-gnu");
  CHECK(expandEntry("/opt/$PLATFORM/lib", ctx).expanded == "/opt/x86_64/lib");
  ctx.platform.clear();
  CHECK(expandEntry("/opt/$PLATFORM/lib", ctx).dropped);
}

TEST_CASE("relative and empty entries resolve against the working directory") {
  auto ctx = secureExe("/opt/x");
  auto rel = expandEntry("lib", ctx);
  CHECK_FALSE(rel.dropped);
  CHECK(rel.relative);
  CHECK(rel.expanded == "lib");
  auto dot = expandEntry("../lib/", ctx);
  CHECK(dot.relative);
  CHECK(dot.expanded == "../lib");
  auto empty = expandEntry("", ctx);
  CHECK(empty.relative);
  CHECK_FALSE(empty.dropped);
  CHECK(expandEntry("$LIB", ctx).relative);
  CHECK_FALSE(expandEntry("/abs", ctx).relative);
}

TEST_CASE("an unknown origin drops $ORIGIN entries") {
  auto ctx = normalExe("");
  CHECK(expandEntry("$ORIGIN/lib", ctx).dropped);
}

TEST_CASE("hostile entries do not crash") {
  auto ctx = secureExe("/opt/x");
  for (const char* entry : {"$", "$$", "${", "${}", "$}", "${ORIGIN", "/$", "$ORIGIN$",
                            "::", "$ORIGIN/../../../../../../../../../../..", "/..", "/../.."}) {
    auto x = expandEntry(entry, ctx);
    CHECK((x.dropped || !x.expanded.empty() || x.relative));
  }
  CHECK(expandEntry("$", ctx).expanded == "$");
  CHECK(expandEntry("${", ctx).expanded == "${");
}

TEST_CASE("machine names") {
  CHECK(machineName(62) == "x86-64");
  CHECK(machineName(183) == "AArch64");
  CHECK(machineName(3) == "i386");
  CHECK(machineName(60000) == "machine 60000");
}
