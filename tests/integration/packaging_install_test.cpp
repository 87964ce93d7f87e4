// cmake --install of the build tree these tests belong to: the layout, and an installed privbind
// that finds its installed preload library with no environment variable and serves real clients
// in both modes.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include "packaging_support.h"

using namespace packaging;

namespace {

std::string cacheValue(const std::string& cache, const std::string& key) {
  auto at = cache.find("\n" + key);
  if (at == std::string::npos) return "";
  at += key.size() + 1;
  return cache.substr(at, cache.find('\n', at) - at);
}

// The build tree that made build/privbind (this test binary's own), installed once per test
// run with DESTDIR into a scratch directory: the files `cmake --install` would put under the
// configured prefix, without a second configure or compile. The binary has that prefix compiled
// in, so it runs through `launcher`: in a mount namespace of its own, the staged tree is bind
// mounted over the configured prefix and the installed binary is run from there. Nothing
// outside that namespace sees the mount.
struct Installed {
  TempDir scratch;
  std::string build = std::filesystem::path(privbindPath()).parent_path().string();
  std::string configured;  // CMAKE_INSTALL_PREFIX of the build, e.g. /usr/local
  std::string libdir;      // CMAKE_INSTALL_LIBDIR as configured, relative to the prefix
  std::string prefix;      // the staged copy of the configured prefix
  std::string launcher = scratch / "launch";
  RunResult result;

  Installed() {
    std::string cache = slurp(build + "/CMakeCache.txt");
    configured = cacheValue(cache, "CMAKE_INSTALL_PREFIX:PATH=");
    libdir = cacheValue(cache, "CMAKE_INSTALL_LIBDIR:PATH=");
    std::string stage = scratch / "stage";
    prefix = stage + configured;
    result = sh(
        "umask 022; DESTDIR=" + quote(stage) + " cmake --install " + quote(build) + " >/dev/null",
        std::chrono::minutes(2));
    std::ofstream(launcher) << "#!/bin/sh\n"
                            << "exec unshare --mount --propagation private sh -c "
                            << "'mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"' sh "
                            << quote(prefix) << " " << quote(configured) << " "
                            << quote(configured + "/sbin/privbind") << " \"$@\"\n";
    chmod(launcher.c_str(), 0755);
  }

  // Why the installed binary cannot run at its configured prefix on this host, or "" when it
  // can: the mount point must exist, and it must not be a prefix the system itself runs from.
  std::string cannotRun() const {
    if (configured == "/" || configured == "/usr") {
      return "the build is configured for the prefix " + configured +
             ", which holds the system's own libraries (packaging_deb installs that one)";
    }
    struct stat st {};
    if (stat(configured.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return "the configured prefix " + configured + " is not a directory on this host";
    }
    return "";
  }
};

Installed& installed() {
  static Installed once;
  REQUIRE_MESSAGE(once.result.status == 0, once.result.out << once.result.err);
  REQUIRE(!once.configured.empty());
  return once;
}

}  // namespace

TEST_SUITE("packaging_install") {

TEST_CASE("cmake --install lays out a root tool: sbin, private lib dir, man, completion, docs") {
  auto& in = installed();
  const std::string& p = in.prefix;
  CHECK(modeOf(p + "/sbin/privbind") == 0755);
  CHECK(modeOf(p + "/sbin/privbind-grant-java") == 0755);
  CHECK_FALSE(exists(p + "/bin/privbind"));
  // The libdir GNUInstallDirs picked for this prefix (not /usr, so no multiarch triplet).
  if (in.configured != "/usr") CHECK((in.libdir == "lib" || in.libdir == "lib64"));
  // The preload library is loaded into other programs: readable, not executable.
  CHECK(modeOf(p + "/" + in.libdir + "/privbind/libprivbind-shim.so") == 0644);
  for (const char* page : {"privbind.8.gz", "privbind-grant-java.8.gz"}) {
    CAPTURE(page);
    std::string path = p + "/share/man/man8/" + page;
    CHECK(modeOf(path) == 0644);
    // A real gzip stream that man can read.
    CHECK(run({"gzip", "-t", path}).status == 0);
  }
  CHECK(contains(run({"man", "-l", p + "/share/man/man8/privbind.8.gz"}).out, "broker"));
  // The page lands where man looks: <prefix>/share/man is a man hierarchy man finds by name...
  CHECK(run({"man", "-M", p + "/share/man", "-w", "privbind"}).out ==
        p + "/share/man/man8/privbind.8.gz\n");
  // ...and the default prefix's (/usr/local/share/man) is on man-db's search path.
  CHECK(contains(run({"manpath", "-g"}).out, "/usr/local/share/man"));
  CHECK(modeOf(p + "/share/bash-completion/completions/privbind") == 0644);
  CHECK(exists(p + "/share/doc/privbind/copyright"));
  CHECK(run({"gzip", "-t", p + "/share/doc/privbind/changelog.gz"}).status == 0);
  CHECK(exists(p + "/share/doc/privbind/examples/README.md"));
  // The boot unit of standing grants, where systemd reads units, naming the installed binary.
  const std::string unit = p + "/lib/systemd/system/privbind-grants.service";
  CHECK(modeOf(unit) == 0644);
  CHECK(contains(slurp(unit), "\nExecStart=" + in.configured + "/sbin/privbind grants apply\n"));
}

TEST_CASE(
    "every document --help, the man pages and the installed documents point to is installed") {
  auto& in = installed();
  const std::string doc = in.prefix + "/share/doc/privbind";
  const std::string configuredDoc = in.configured + "/share/doc/privbind";
  // --help names the doc directory of the prefix it was built for, and the files there.
  std::string help = run({privbindPath(), "--help"}).out;
  std::string see = help.substr(help.find("See privbind(8)"));
  CHECK_MESSAGE(contains(see, configuredDoc + "/:"), see);
  CHECK_FALSE(contains(help, "docs/"));
  std::regex file(R"(([A-Za-z0-9_-]+\.md|examples/))");
  size_t named = 0;
  for (std::sregex_iterator m(see.begin(), see.end(), file), end; m != end; ++m, ++named) {
    CAPTURE((*m)[1].str());
    CHECK(exists(doc + "/" + (*m)[1].str()));
  }
  CHECK(named >= 7);
  // The man pages name /usr/share/doc/privbind/..., the Debian package's prefix: the same files
  // under this one.
  for (const char* page : {"privbind.8", "privbind-grant-java.8"}) {
    std::string man = manSource(projectDir() + "/docs/" + page);
    std::regex path(R"(/usr/share/doc/privbind/([A-Za-z0-9_./-]*))");
    for (std::sregex_iterator m(man.begin(), man.end(), path), end; m != end; ++m) {
      CAPTURE(page);
      CAPTURE((*m)[0].str());
      CHECK(exists(doc + "/" + (*m)[1].str()));
    }
  }
  // Each relative Markdown link of an installed document leads to an installed file.
  size_t links = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(doc)) {
    if (entry.path().extension() != ".md") continue;
    std::string text = slurp(entry.path().string());
    std::regex link(R"(\]\(([^)#:]+)(#[^)]*)?\))");
    for (std::sregex_iterator m(text.begin(), text.end(), link), end; m != end; ++m, ++links) {
      CAPTURE(entry.path().string());
      CAPTURE((*m)[1].str());
      CHECK(exists((entry.path().parent_path() / (*m)[1].str()).string()));
    }
  }
  CHECK(links >= 15);
  // README.md and the benchmarks, which the documents link to, are installed themselves; the
  // examples' README lists each systemd unit, the cgroup one included.
  CHECK(exists(doc + "/README.md"));
  CHECK(exists(doc + "/bench.md"));
  std::string examples = slurp(doc + "/examples/README.md");
  CHECK(contains(examples, "cgroup mode"));
}

TEST_CASE("the installed binary reports the project version") {
  auto r = run({installed().prefix + "/sbin/privbind", "--version"});
  CHECK(r.status == 0);
  CHECK(r.out == std::string("privbind ") + PRIVBIND_TEST_VERSION + "\n");
}

TEST_CASE("the installed binary finds the installed shim: broker mode serves a real client") {
  auto& in = installed();
  if (auto why = in.cannotRun(); !why.empty()) SKIP_TEST(why);
  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  // The path the binary has compiled in, which the launcher's namespace fills from the stage.
  std::string shim = in.configured + "/" + in.libdir + "/privbind/libprivbind-shim.so";
  // No PRIVBIND_* or LD_* variable tells it where to look: it is the compiled-in path.
  auto served = serveThrough(in.launcher, "broker", server);
  CHECK(served.reply.rfind("uid=65534 euid=65534", 0) == 0);
  CHECK(contains(served.maps, shim));
  // ... and not the build tree's copy.
  CHECK_FALSE(contains(served.maps, in.build + "/"));
  // doctor, run from the installed binary, agrees.
  auto doctor = run({in.launcher, "doctor", "--json"}, std::chrono::minutes(1));
  auto seen = run({python(), "-c",
                   "import json,sys; s=json.load(sys.stdin)['system']; "
                   "print(s['shim'], s['shim_loadable'])"},
                  std::chrono::seconds(30), doctor.out);
  CHECK_MESSAGE(seen.out == shim + " True\n", doctor.out << doctor.err);
}

TEST_CASE("the installed binary runs caps mode") {
  auto& in = installed();
  if (auto why = in.cannotRun(); !why.empty()) SKIP_TEST(why);
  TempDir dir;
  std::string server = buildC("bind_server.c", dir.path());
  auto served = serveThrough(in.launcher, "caps", server);
  CHECK(served.reply.rfind("uid=65534 euid=65534", 0) == 0);
  CHECK_FALSE(contains(served.maps, "libprivbind-shim"));
}

TEST_CASE("installing under another prefix than the configured one is refused") {
  auto& in = installed();
  TempDir other;
  auto r = run({"cmake", "--install", in.build, "--prefix", other.path()});
  CHECK(r.status != 0);
  CHECK(contains(r.out + r.err, "privbind: install prefix"));
  // Refused before anything was copied.
  CHECK_FALSE(exists(other / "sbin/privbind"));
  // DESTDIR staging, which is how packages are built, is fine.
  auto staged = sh("DESTDIR=" + quote(other / "stage") + " cmake --install " + quote(in.build) +
                   " >/dev/null");
  CHECK(staged.status == 0);
  CHECK(exists(other / "stage" + in.configured + "/sbin/privbind"));
}

TEST_CASE("cpack refuses a Debian package from a build configured for another prefix") {
  auto& in = installed();
  if (in.configured == "/usr") SKIP_TEST("the build is configured for /usr, the package's prefix");
  // Its output goes to a scratch directory, not into the build tree.
  TempDir out;
  auto r = sh("cpack --config " + quote(in.build + "/CPackConfig.cmake") + " -B " +
              quote(out.path()) + " -G DEB 2>&1");
  CHECK(r.status != 0);
  CHECK(contains(r.out, "privbind: Debian package: prefix '" + in.configured + "'"));
  CHECK(run({"sh", "-c", "ls " + quote(out.path()) + "/*.deb"}).status != 0);
}

TEST_CASE("the man page documents every option of --help, both modes, doctor and exit codes") {
  auto help = run({privbindPath(), "--help"});
  REQUIRE(help.status == 0);
  auto options = helpOptions(help.out);
  REQUIRE(options.size() >= 20);  // short and long names of every option
  auto doctorHelp = run({privbindPath(), "doctor", "--help"});
  REQUIRE(doctorHelp.status == 0);
  auto doctorOptions = helpOptions(doctorHelp.out);
  REQUIRE(doctorOptions.size() >= 5);
  options.insert(options.end(), doctorOptions.begin(), doctorOptions.end());
  std::string man = manSource(projectDir() + "/docs/privbind.8");
  for (const auto& o : options) {
    CAPTURE(o);
    CHECK(contains(man, o));
  }
  for (const char* word : {"broker", "caps", "privbind doctor", "--json", "--fix", "--dry-run",
                           ".B 125", ".B 126", ".B 127", ".SH SECURITY", "no_new_privs",
                           "CAP_NET_BIND_SERVICE", "ip_unprivileged_port_start"}) {
    CAPTURE(word);
    CHECK(contains(man, word));
  }
  // The version in the page header is the project's.
  CHECK(contains(man, std::string("\"privbind ") + PRIVBIND_TEST_VERSION + "\""));
  // groff has nothing to complain about.
  auto lint = sh("LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " +
                 quote(projectDir() + "/docs/privbind.8") + " 2>&1 >/dev/null");
  CHECK(lint.out == "");
}

TEST_CASE("privbind-grant-java(8) documents every option of its --help") {
  auto help = run({projectDir() + "/scripts/privbind-grant-java", "--help"});
  REQUIRE(help.status == 0);
  auto options = helpOptions(help.out);
  REQUIRE(options.size() >= 6);
  std::string man = manSource(projectDir() + "/docs/privbind-grant-java.8");
  for (const auto& o : options) {
    CAPTURE(o);
    CHECK(contains(man, o));
  }
  auto lint = sh("LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " +
                 quote(projectDir() + "/docs/privbind-grant-java.8") + " 2>&1 >/dev/null");
  CHECK(lint.out == "");
}

TEST_CASE("bash completion completes options, modes, users and the command's own words") {
  if (!exists("/usr/share/bash-completion/bash_completion")) {
    SKIP_TEST("bash-completion is not installed (scripts/bootstrap installs it)");
  }
  // words: COMP_WORDS as bash splits the line; line: the line typed, when it is not the words
  // joined by spaces ("--mode=c" is the three words "--mode", "=", "c").
  auto complete = [&](const std::string& words, const std::string& line = "") {
    std::string script =
        "source /usr/share/bash-completion/bash_completion; source " +
        quote(installed().prefix + "/share/bash-completion/completions/privbind") + "; " +
        "COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); " +
        (line.empty() ? std::string("COMP_LINE=\"${COMP_WORDS[*]}\"; ")
                      : "COMP_LINE=" + quote(line) + "; ") +
        "COMP_POINT=${#COMP_LINE}; _privbind; " + "printf '%s\\n' \"${COMPREPLY[@]}\"";
    return run({"bash", "-c", script}).out;
  };
  CHECK(complete("privbind --no-t") == "--no-target-check\n");
  CHECK(complete("privbind -m ''") == "auto\ncgroup\nbroker\ncaps\n");
  CHECK(complete("privbind --mode = ''", "privbind --mode=") == "auto\ncgroup\nbroker\ncaps\n");
  CHECK(complete("privbind --mode = c", "privbind --mode=c") == "cgroup\ncaps\n");
  CHECK(complete("privbind -v --mode = b", "privbind -v --mode=b") == "broker\n");
  CHECK(complete("privbind --verbose = ''", "privbind --verbose=") == "\n");  // nothing offered
  // A value given with '=' is not where the command starts.
  CHECK(contains(complete("privbind --mode = cgroup -u nob", "privbind --mode=cgroup -u nob"),
                 "nobody\n"));
  CHECK(complete("privbind doctor --u") == "--user\n");
  CHECK(contains(complete("privbind -u nob"), "nobody\n"));
  CHECK(complete("privbind doctor --dr") == "--dry-run\n");
  // After the command starts, its options are not privbind's.
  CHECK_FALSE(contains(complete("privbind -u nobody -- ls --no-t"), "--no-target-check"));
}

TEST_CASE("shellcheck finds nothing in the packaging scripts and the completion") {
  if (run({"sh", "-c", "command -v shellcheck"}).status != 0) {
    SKIP_TEST("shellcheck is not installed (scripts/bootstrap installs it)");
  }
  std::string d = projectDir();
  auto r = run({"shellcheck", d + "/scripts/privbind-grant-java", d + "/scripts/build-deb",
                d + "/scripts/bootstrap", d + "/packaging/deb/postinst", d + "/packaging/deb/prerm",
                d + "/packaging/deb/postrm"});
  CHECK_MESSAGE(r.status == 0, r.out);
  auto completion = run({"shellcheck", "-s", "bash", d + "/completions/privbind.bash"});
  CHECK_MESSAGE(completion.status == 0, completion.out);
}

TEST_CASE("the Debian changelog describes the project version") {
  std::string top = slurp(projectDir() + "/packaging/deb/changelog");
  CHECK(top.rfind(std::string("privbind (") + PRIVBIND_TEST_VERSION + ") ", 0) == 0);
}

}  // TEST_SUITE("packaging_install")
