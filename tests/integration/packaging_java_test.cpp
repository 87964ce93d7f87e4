// scripts/privbind-grant-java on a copy of the system JDK: java really binds a reserved port as
// nobody afterwards, a second run changes nothing, --undo restores the exact file, failures roll
// back. Then the maintainer-script recipe of docs/packaging.md, taken from the document as it is,
// through real dpkg runs: install grants, a JDK upgrade re-grants through the file trigger,
// removal restores, purge leaves nothing.
#include <doctest/doctest.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "packaging_support.h"

using namespace packaging;

namespace {

std::string script() { return projectDir() + "/scripts/privbind-grant-java"; }

// The JDK behind /usr/bin/java, or "".
std::string systemJdk() {
  char buf[PATH_MAX];
  if (!realpath("/usr/bin/java", buf)) return "";
  std::string java = buf;
  auto slash = java.rfind("/bin/java");
  if (slash == std::string::npos) return "";
  std::string home = java.substr(0, slash);
  return access((home + "/lib/libjli.so").c_str(), R_OK) == 0 ? home : "";
}

// Copies what java needs (bin/java, lib/ minus src.zip and ct.sym, conf, release) to dest.
void copyJdk(const std::string& home, const std::string& dest) {
  auto r =
      sh("set -e; mkdir -p " + quote(dest + "/bin") + " " + quote(dest + "/lib") + "; cp -a " +
             quote(home + "/bin/java") + " " + quote(dest + "/bin/") + "; for f in " + quote(home) +
             "/lib/*; do case \"${f##*/}\" in ct.sym|src.zip)"
             " ;; *) cp -a \"$f\" " +
             quote(dest + "/lib/") + ";; esac; done" + "; for d in conf release; do [ ! -e " +
             quote(home) + "/$d ] || cp -aL " + quote(home) + "/$d " + quote(dest + "/") +
             "; done; chmod -R a+rX " + quote(dest),
         std::chrono::minutes(2));
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

std::string sha256(const std::string& path) {
  auto r = run({"sha256sum", path});
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}

std::string getcap(const std::string& path) { return run({"getcap", path}).out; }

std::string rpath(const std::string& path) {
  auto r = run({"readelf", "-d", path});
  auto at = r.out.find("Library rpath: [");
  if (at == std::string::npos) at = r.out.find("Library runpath: [");
  if (at == std::string::npos) return "";
  at = r.out.find('[', at) + 1;
  return r.out.substr(at, r.out.find(']', at) - at);
}

// A Java server run as nobody on a free reserved port of 127.0.0.1: what a client reads from it
// ("hello from java\n"), or "" when it could not bind.
std::string javaServesAsNobody(const std::string& java) {
  uint16_t port = freeReservedPort();
  Process server({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", java,
                  "-XX:-UsePerfData", sourceDir() + "/programs/DoctorBind.java",
                  std::to_string(port)});
  // A JVM takes a while to start; one that could not bind exits.
  for (int second = 0; second < 90; ++second) {
    if (waitForTcp("127.0.0.1", port, std::chrono::seconds(1))) return tcpRead("127.0.0.1", port);
    if (!server.running()) break;
  }
  MESSAGE("java did not serve: " << server.err());
  return "";
}

RunResult grant(const std::vector<std::string>& args, const std::string& stateDir) {
  std::vector<std::string> argv = {"env", "PRIVBIND=" + privbindPath(), script(), "--state-dir",
                                   stateDir};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, std::chrono::minutes(3));
}

bool emptyDir(const std::string& path) {
  return run({"find", path, "-mindepth", "1", "-not", "-type", "d"}).out.empty();
}

// The first fenced block after the line naming `file` in docs/packaging.md.
std::string docSnippet(const std::string& file) {
  std::string doc = slurp(projectDir() + "/docs/packaging.md");
  auto at = doc.find("`" + file + "`:");
  REQUIRE_MESSAGE(at != std::string::npos, file);
  auto open = doc.find("```", at);
  auto start = doc.find('\n', open) + 1;
  auto end = doc.find("```", start);
  return doc.substr(start, end - start);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

bool installed(const std::string& package) {
  auto r = run({"dpkg-query", "-W", "-f=${Status}", package});
  return r.status == 0 && contains(r.out, "ok installed");
}

}  // namespace

TEST_SUITE("packaging_java") {

TEST_CASE("grant: java binds a reserved port as nobody; again is a no-op; undo restores") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java (scripts/bootstrap installs one)");
  }
  TempDir dir;
  std::string jdk = dir / "jdk", java = jdk + "/bin/java", state = dir / "state";
  copyJdk(home, jdk);
  std::string pristine = sha256(java);
  REQUIRE(contains(rpath(java), "$ORIGIN"));
  // Without the grant, nobody cannot bind a reserved port: the test below means something.
  CHECK(javaServesAsNobody(java) == "");

  auto first = grant({jdk}, state);
  CHECK_MESSAGE(first.status == 0, first.out << first.err);
  CHECK(contains(first.out, "granted cap_net_bind_service"));
  CHECK(contains(getcap(java), "cap_net_bind_service=ep"));
  CHECK(rpath(java) == jdk + "/bin:" + jdk + "/lib");
  // doctor's copy of the original does not stay in the JDK's directory.
  CHECK_FALSE(exists(java + ".privbind-orig"));
  CHECK(javaServesAsNobody(java) == "hello from java\n");

  std::string granted = sha256(java);
  auto again = grant({java}, state);  // java itself works as well as its JDK directory
  CHECK(again.status == 0);
  CHECK(contains(again.out, "already granted"));
  CHECK(sha256(java) == granted);

  auto undo = grant({"--undo", jdk}, state);
  CHECK_MESSAGE(undo.status == 0, undo.err);
  CHECK(contains(undo.out, "restored"));
  CHECK(sha256(java) == pristine);
  CHECK(getcap(java) == "");
  CHECK(modeOf(java) == 0755);
  CHECK(emptyDir(state));
  auto undoAgain = grant({"--undo", jdk}, state);
  CHECK(undoAgain.status == 0);
  CHECK(contains(undoAgain.out, "nothing to undo"));
}

TEST_CASE("after a JDK upgrade: grant re-applies, undo never brings back the old java") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java");
  }
  TempDir dir;
  std::string jdk = dir / "jdk", java = jdk + "/bin/java", state = dir / "state";
  copyJdk(home, jdk);
  // An "upgrade" the way dpkg does it: a different file renamed over java, without capability.
  int version = 1;
  auto upgrade = [&] {
    ++version;
    auto r = sh("set -e; cp " + quote(java + ".v1") + " " + quote(java + ".new") + "; printf 'v" +
                std::to_string(version) + "' >> " + quote(java + ".new") + "; chmod 0755 " +
                quote(java + ".new") + "; mv " + quote(java + ".new") + " " + quote(java));
    REQUIRE(r.status == 0);
  };
  REQUIRE(run({"cp", "-a", java, java + ".v1"}).status == 0);

  REQUIRE(grant({jdk}, state).status == 0);
  upgrade();
  std::string v2 = sha256(java);
  CHECK(getcap(java) == "");
  auto regrant = grant({jdk}, state);
  CHECK_MESSAGE(regrant.status == 0, regrant.err);
  CHECK(contains(regrant.out, "granted"));
  CHECK(javaServesAsNobody(java) == "hello from java\n");
  REQUIRE(grant({"--undo", jdk}, state).status == 0);
  CHECK(sha256(java) == v2);  // the upgraded file, not the first one

  // Granted, then upgraded, then undone without a new grant: the new java stays as it is.
  REQUIRE(grant({jdk}, state).status == 0);
  upgrade();
  std::string v3 = sha256(java);
  auto undo = grant({"--undo", jdk}, state);
  CHECK(undo.status == 0);
  CHECK(sha256(java) == v3);
  CHECK(getcap(java) == "");
  CHECK(emptyDir(state));
}

TEST_CASE("refusals: unsafe ownership, missing JDK, not root, bad usage; failures roll back") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java");
  }
  TempDir dir;
  std::string jdk = dir / "jdk", java = jdk + "/bin/java", state = dir / "state";
  copyJdk(home, jdk);
  std::string pristine = sha256(java);

  // A java that others can rewrite would hand them the capability.
  REQUIRE(run({"chmod", "o+w", java}).status == 0);
  auto writable = grant({jdk}, state);
  CHECK(writable.status == 1);
  CHECK(contains(writable.err, "privbind-grant-java: " + java + ": writable by group or others"));
  CHECK(getcap(java) == "");
  REQUIRE(run({"chmod", "o-w", java}).status == 0);
  REQUIRE(run({"chmod", "g+w", jdk + "/bin"}).status == 0);
  CHECK(grant({jdk}, state).status == 1);
  REQUIRE(run({"chmod", "g-w", jdk + "/bin"}).status == 0);
  REQUIRE(run({"chown", "65534", java}).status == 0);
  auto owned = grant({jdk}, state);
  CHECK(owned.status == 1);
  CHECK(contains(owned.err, "owned by uid 65534"));
  REQUIRE(run({"chown", "0", java}).status == 0);
  REQUIRE(run({"chmod", "0755", java}).status == 0);

  auto missing = grant({dir / "no-such-jdk"}, state);
  CHECK(missing.status == 1);
  CHECK(contains(missing.err, "not found"));
  CHECK(grant({"--missing-ok", dir / "no-such-jdk"}, state).status == 0);

  auto notRoot =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", script(), jdk});
  CHECK(notRoot.status == 1);
  CHECK(contains(notRoot.err, "must run as root"));
  CHECK(grant({"--undo", "--missing-ok", dir / "no-such-jdk"}, state).status == 0);
  CHECK(grant({}, state).status == 2);
  // The state directory is chmod'ed and written to: never / or a path with "..".
  CHECK(run({script(), "--state-dir", "/", jdk}).status == 2);
  CHECK(run({script(), "--state-dir", state + "/../x", jdk}).status == 2);
  CHECK(run({script(), "--state-dir", "relative", jdk}).status == 2);
  CHECK(grant({"--bogus", jdk}, state).status == 2);

  // java that will not start as nobody after the grant (its modules unreadable): fail closed,
  // everything back as it was.
  REQUIRE(run({"chmod", "0600", jdk + "/lib/modules"}).status == 0);
  auto broken = grant({jdk}, state);
  CHECK(broken.status == 1);
  CHECK(contains(broken.err, "rolling back"));
  CHECK(sha256(java) == pristine);
  CHECK(getcap(java) == "");
  CHECK_FALSE(exists(java + ".privbind-orig"));
  CHECK(emptyDir(state));

  // The same failure when java already had the capability (no copy saved by this run): the
  // rollback removes it for real, as getcap shows.
  REQUIRE(run({"setcap", "cap_net_bind_service=ep", java}).status == 0);
  auto brokenCapped = grant({jdk}, state);
  CHECK(brokenCapped.status == 1);
  CHECK(contains(brokenCapped.err, "rolling back"));
  CHECK(getcap(java) == "");
  CHECK_FALSE(exists(java + ".privbind-orig"));
  CHECK(emptyDir(state));
}

TEST_CASE("grant refuses ':' or '$' in the JDK path and a backup it did not make") {
  // Refusals that come before any change need no real JDK: an ELF file named java will do.
  TempDir dir;
  std::string state = dir / "state";
  auto fakeJdk = [&](const std::string& home) {
    REQUIRE(run({"mkdir", "-p", home + "/bin"}).status == 0);
    REQUIRE(run({"cp", "/bin/true", home + "/bin/java"}).status == 0);
    return home + "/bin/java";
  };
  auto untouched = [&](const std::string& java, const std::string& hash) {
    CHECK(sha256(java) == hash);
    CHECK(getcap(java) == "");
    CHECK(modeOf(java) == 0755);
    CHECK_FALSE(exists(state + java));
  };
  for (const std::string& name : {std::string("jdk:x"), std::string("jdk$LIB")}) {
    std::string java = fakeJdk(dir / name);
    std::string hash = sha256(java);
    auto r = grant({dir / name}, state);
    CHECK(r.status == 1);
    CHECK_MESSAGE(
        contains(r.err, "privbind-grant-java: " + java + ": the path contains ':' or '$'"), r.err);
    untouched(java, hash);
  }

  // A java.privbind-orig planted by another user in a sticky, world-writable bin/ or a
  // group-writable one: the directory is refused, the planted file is never taken.
  std::string java = fakeJdk(dir / "jdk"), bin = dir / "jdk/bin";
  std::string hash = sha256(java), planted = java + ".privbind-orig";
  // (bin/ belongs to group nogroup, the planter's group, for the group-writable case.)
  REQUIRE(run({"chgrp", "65534", bin}).status == 0);
  for (const std::string& mode : {std::string("1777"), std::string("0775")}) {
    CAPTURE(mode);
    REQUIRE(run({"chmod", mode, bin}).status == 0);
    REQUIRE(run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "sh", "-c",
                 "echo planted > \"$1\"", "sh", planted})
                .status == 0);
    auto r = grant({dir / "jdk"}, state);
    CHECK(r.status == 1);
    CHECK_MESSAGE(contains(r.err, bin + ": writable by group or others"), r.err);
    untouched(java, hash);
    CHECK(slurp(planted) == "planted\n");
    REQUIRE(unlink(planted.c_str()) == 0);
  }
  // Even in a directory only root can write to, an existing copy was not made by this run.
  REQUIRE(run({"chgrp", "0", bin}).status == 0);
  REQUIRE(run({"chmod", "0755", bin}).status == 0);
  REQUIRE(run({"cp", java, planted}).status == 0);
  auto r = grant({dir / "jdk"}, state);
  CHECK(r.status == 1);
  CHECK_MESSAGE(contains(r.err, "already exists and was not made by this run"), r.err);
  untouched(java, hash);
  CHECK(exists(planted));
}

TEST_CASE("a failed doctor --fix: the rollback says why, from doctor's JSON report") {
  // doctor --fix --json reports its findings on stdout and exits 1 with nothing on stderr. A
  // stand-in privbind does exactly that, so that the rollback's reason must come from the report.
  TempDir dir;
  std::string state = dir / "state", java = dir / "jdk/bin/java", fake = dir / "privbind";
  REQUIRE(run({"mkdir", "-p", dir / "jdk/bin"}).status == 0);
  REQUIRE(run({"cp", "/bin/true", java}).status == 0);
  std::string pristine = sha256(java);
  std::ofstream(fake)
      << "#!/bin/sh\n"
      << "case \"$*\" in *--fix*)\n"
      << "  echo '{\"format\":1,\"findings\":[{\"severity\":\"warning\",\"code\":\"w\","
         "\"message\":\"a warning\"},{\"severity\":\"problem\",\"code\":\"p\",\"message\":\"java "
         "cannot be fixed here\"}],\"problems\":true,\"exit_code\":1}'\n"
      << "  exit 1;;\n"
      << "esac\n"
      << "exit 0\n";
  REQUIRE(chmod(fake.c_str(), 0755) == 0);
  auto r = run({"env", "PRIVBIND=" + fake, script(), "--state-dir", state, dir / "jdk"},
               std::chrono::minutes(1));
  CHECK(r.status == 1);
  CHECK_MESSAGE(contains(r.err, "privbind-grant-java: privbind doctor --fix " + java +
                                    ": exit 1: java cannot be fixed here; rolling back\n"),
                r.err);
  CHECK_FALSE(contains(r.err, "a warning"));
  CHECK(sha256(java) == pristine);
  CHECK(getcap(java) == "");
  CHECK(emptyDir(state));
}

TEST_CASE("undo removes the capability for real (setcap -r, read back with getcap)") {
  TempDir dir;
  std::string state = dir / "state", java = dir / "jdk/bin/java";
  REQUIRE(run({"mkdir", "-p", dir / "jdk/bin"}).status == 0);
  REQUIRE(run({"cp", "/bin/true", java}).status == 0);
  // java with a capability this script did not grant (or a JDK upgraded since the grant).
  REQUIRE(run({"setcap", "cap_net_bind_service=ep", java}).status == 0);
  REQUIRE(contains(getcap(java), "cap_net_bind_service=ep"));
  auto undo = grant({"--undo", dir / "jdk"}, state);
  CHECK_MESSAGE(undo.status == 0, undo.err);
  CHECK(contains(undo.out, "capability removed"));
  CHECK(getcap(java) == "");
  CHECK(run({"getcap", "-v", java}).status == 0);
}

TEST_CASE("--undo --missing-ok on a path that resolves to / or above a target keeps the others") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java");
  }
  TempDir dir;
  std::string jdk = dir / "jdk", java = jdk + "/bin/java", state = dir / "state";
  copyJdk(home, jdk);
  std::string pristine = sha256(java);
  auto g = grant({"--no-verify", jdk}, state);
  REQUIRE_MESSAGE(g.status == 0, g.err);
  std::string entry = state + java;
  REQUIRE(exists(entry + "/java.orig"));
  REQUIRE(exists(entry + "/granted.sha256"));
  // Paths that do not exist and resolve to /, or to a directory above the granted java.
  for (const std::string& gone :
       {std::string("/privbind-no-such-dir/.."), dir / "no-such-jdk/..", jdk + "/gone/../.."}) {
    CAPTURE(gone);
    auto r = grant({"--undo", "--missing-ok", gone}, state);
    CHECK_MESSAGE(r.status == 0, r.err);
    CHECK(exists(entry + "/java.orig"));
    CHECK(exists(entry + "/granted.sha256"));
  }
  // --undo restores only the very file the grant saved: another one put in its place (same
  // name, another inode) is refused and java keeps its grant.
  std::string granted = sha256(java);
  REQUIRE(rename((entry + "/java.orig").c_str(), (entry + "/kept").c_str()) == 0);
  REQUIRE(run({"cp", "-p", "/bin/true", entry + "/java.orig"}).status == 0);
  auto swapped = grant({"--undo", jdk}, state);
  CHECK(swapped.status == 1);
  CHECK_MESSAGE(contains(swapped.err, "not the copy this script saved"), swapped.err);
  CHECK(sha256(java) == granted);
  CHECK(contains(getcap(java), "cap_net_bind_service=ep"));
  REQUIRE(rename((entry + "/kept").c_str(), (entry + "/java.orig").c_str()) == 0);

  // The target's own entry is what --undo removes, and the original comes back.
  auto undo = grant({"--undo", jdk}, state);
  CHECK_MESSAGE(undo.status == 0, undo.err);
  CHECK(sha256(java) == pristine);
  CHECK(getcap(java) == "");
  CHECK(emptyDir(state));
}

TEST_CASE(
    "docs/packaging.md recipe with dpkg: install grants, JDK upgrade re-grants, remove "
    "restores, purge leaves nothing") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java");
  }
  const std::string jdkPkg = "privbind-test-jdk", appPkg = "privbind-test-app";
  const std::string optJdk = "/opt/privbind-test-jdk", java = optJdk + "/bin/java";
  if (installed(jdkPkg) || installed(appPkg) || exists(optJdk)) {
    SKIP_TEST(jdkPkg + " or " + optJdk + " already present on this machine");
  }
  bool stateRootExisted = exists("/var/lib/privbind");
  struct Cleanup {
    std::string jdkPkg, appPkg;
    bool stateRootExisted;
    ~Cleanup() {
      for (const auto& p : {appPkg, jdkPkg})
        if (installed(p)) run({"dpkg", "-P", p}, std::chrono::minutes(2));
      if (!stateRootExisted) run({"rm", "-rf", "/var/lib/privbind"});
    }
  } cleanup{jdkPkg, appPkg, stateRootExisted};

  TempDir dir;
  std::string arch = run({"dpkg", "--print-architecture"}).out;
  arch.pop_back();
  // The stand-in JDK package, versions 1 and 2 (java differs, as after a real upgrade).
  auto buildJdk = [&](int version) {
    std::string root = dir / ("jdk" + std::to_string(version));
    copyJdk(home, root + optJdk);
    if (version > 1)
      REQUIRE(sh("printf 'v" + std::to_string(version) + "' >> " + quote(root + java)).status == 0);
    REQUIRE(run({"mkdir", "-p", root + "/DEBIAN"}).status == 0);
    std::ofstream(root + "/DEBIAN/control")
        << "Package: " << jdkPkg << "\nVersion: " << version << "\nArchitecture: " << arch
        << "\nMaintainer: privbind tests <tests@example.org>\nDescription: stand-in JDK\n"
        << " A copy of the system JDK under /opt for the packaging tests.\n";
    std::string deb = dir / (jdkPkg + "_" + std::to_string(version) + ".deb");
    auto r = run({"dpkg-deb", "--root-owner-group", "-Znone", "--build", root, deb},
                 std::chrono::minutes(3));
    REQUIRE_MESSAGE(r.status == 0, r.err);
    return deb;
  };
  std::string jdk1 = buildJdk(1), jdk2 = buildJdk(2);
  std::string v2 = sha256(dir / "jdk2" + java);

  // The app package: its triggers, postinst and prerm are the document's, pointed at the
  // stand-in JDK, without debhelper's placeholder.
  std::string app = dir / "app";
  REQUIRE(run({"mkdir", "-p", app + "/DEBIAN"}).status == 0);
  auto fromDoc = [&](const std::string& file) {
    std::string text = replaceAll(docSnippet(file), "/usr/lib/jvm/java-17-openjdk-amd64", optJdk);
    return replaceAll(text, "#DEBHELPER#\n", "");
  };
  std::ofstream(app + "/DEBIAN/control")
      << "Package: " << appPkg << "\nVersion: 1\nArchitecture: all\nDepends: " << jdkPkg
      << "\nMaintainer: privbind tests <tests@example.org>\nDescription: stand-in service\n"
      << " Grants the stand-in JDK CAP_NET_BIND_SERVICE as docs/packaging.md shows.\n";
  std::ofstream(app + "/DEBIAN/triggers") << fromDoc("debian/myapp.triggers");
  std::ofstream(app + "/DEBIAN/postinst") << fromDoc("debian/myapp.postinst");
  std::ofstream(app + "/DEBIAN/prerm") << fromDoc("debian/myapp.prerm");
  REQUIRE(run({"chmod", "0755", app + "/DEBIAN/postinst", app + "/DEBIAN/prerm"}).status == 0);
  std::string appDeb = dir / (appPkg + ".deb");
  REQUIRE(run({"dpkg-deb", "--root-owner-group", "--build", app, appDeb}).status == 0);

  // Maintainer scripts find privbind-grant-java and privbind on PATH, as from the package.
  std::string bin = dir / "bin";
  REQUIRE(run({"mkdir", "-p", bin}).status == 0);
  REQUIRE(run({"cp", script(), bin + "/privbind-grant-java"}).status == 0);
  REQUIRE(run({"cp", privbindPath(), bin + "/privbind"}).status == 0);
  auto dpkg = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"env", "PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin",
                                     "dpkg"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, std::chrono::minutes(3));
    INFO("dpkg " << args.front() << ": " << r.out << r.err);
    CHECK(r.status == 0);
    return r;
  };

  dpkg({"-i", jdk1});
  CHECK(getcap(java) == "");
  dpkg({"-i", appDeb});  // postinst configure: the grant
  CHECK(contains(getcap(java), "cap_net_bind_service=ep"));
  CHECK(javaServesAsNobody(java) == "hello from java\n");

  dpkg({"-i", jdk2});  // the upgrade replaces java; the trigger grants the new one
  CHECK(contains(getcap(java), "cap_net_bind_service=ep"));
  CHECK(rpath(java) == optJdk + "/bin:" + optJdk + "/lib");
  CHECK(javaServesAsNobody(java) == "hello from java\n");

  dpkg({"-r", appPkg});  // prerm remove: undo
  CHECK(sha256(java) == v2);
  CHECK(getcap(java) == "");
  // dpkg's own record of the file agrees: nothing modified.
  CHECK(run({"dpkg", "--verify", jdkPkg}).out == "");

  dpkg({"-P", appPkg});
  dpkg({"-P", jdkPkg});
  CHECK_FALSE(exists(optJdk));  // no stray file kept the directory alive
  CHECK_FALSE(exists("/var/lib/privbind/grant-java" + optJdk));
}

}  // TEST_SUITE("packaging_java")
