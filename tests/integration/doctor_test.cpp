// privbind doctor against real files: a setcap'd copy of the system JDK that really fails to
// start, small ELFs built here with RPATH/RUNPATH variants, and bad inputs. Every fix is proved
// by running the program as nobody afterwards.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>

#include "common/files.h"
#include "support.h"

using namespace testsupport;

namespace {

const std::vector<std::string> kAsNobody = {"setpriv", "--reuid=65534", "--regid=65534",
                                            "--clear-groups", "--"};

std::vector<std::string> asNobody(std::vector<std::string> argv) {
  std::vector<std::string> out = kAsNobody;
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

RunResult doctor(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) {
  std::vector<std::string> argv = {privbindPath(), "doctor"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, timeout);
}

std::string sha256(const std::string& path) {
  RunResult r = run({"sha256sum", path});
  REQUIRE(r.status == 0);
  return r.out.substr(0, 64);
}

std::string getcap(const std::string& path) {
  RunResult r = run({"getcap", path});
  REQUIRE(r.status == 0);
  return r.out;
}

// The dynamic-section line for tag ("RPATH" or "RUNPATH") as readelf prints it, or "".
std::string dynamicTag(const std::string& path, const std::string& tag) {
  RunResult r = run({"readelf", "-d", path});
  REQUIRE(r.status == 0);
  std::smatch m;
  std::regex re("\\(" + tag + "\\)\\s+Library (?:rpath|runpath): \\[([^\\]]*)\\]");
  return std::regex_search(r.out, m, re) ? m[1].str() : "";
}

// Evaluates a python expression over the parsed JSON document; returns what it prints.
std::string jsonQuery(const std::string& json, const std::string& expr) {
  RunResult r = run(
      {python(), "-c", "import json,sys; d=json.load(sys.stdin); print(" + expr + ")"}, 30s, json);
  REQUIRE_MESSAGE(r.status == 0, r.err << "\n" << json);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void checkRefusal(const RunResult& r, const std::string& needle) {
  CHECK(r.status == 125);
  CHECK_MESSAGE(std::regex_search(r.err, std::regex("^privbind: [^\n]+: [^\n]+\n")), r.err);
  CHECK_MESSAGE(r.err.find(needle) != std::string::npos, r.err);
  CHECK(r.out.empty());
}

// The system JDK behind /usr/bin/java, or "" when there is none.
std::string systemJdk() {
  char buf[PATH_MAX];
  if (!realpath("/usr/bin/java", buf)) return "";
  std::string java = buf;
  std::string bin = java.substr(0, java.rfind('/'));
  if (bin.size() < 4 || bin.substr(bin.size() - 4) != "/bin") return "";
  std::string home = bin.substr(0, bin.size() - 4);
  if (access((home + "/lib/libjli.so").c_str(), R_OK) != 0) return "";
  return home;
}

// Copies what java needs to start and bind (bin/java, lib/ without the source zip and ct.sym,
// conf, release) into dir/jdk; returns the path of the copied launcher.
std::string copyJdk(const std::string& home, const TempDir& dir) {
  std::string jdk = dir / "jdk";
  RunResult r = sh("set -e; mkdir -p '" + jdk + "/bin' '" + jdk + "/lib'; cp -a '" + home +
                       "/bin/java' '" + jdk + "/bin/'; for f in '" + home +
                       "'/lib/*; do case \"${f##*/}\" in ct.sym|src.zip) ;; *) cp -a \"$f\" '" +
                       jdk + "/lib/';; esac; done; if [ -e '" + home + "/conf' ]; then cp -a '" +
                       home + "/conf' '" + jdk + "/'; fi; if [ -e '" + home +
                       "/release' ]; then cp -a '" + home + "/release' '" + jdk + "/'; fi",
                   120s);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  return jdk + "/bin/java";
}

// Builds ROOT/lib/libdoctor_lib.so and ROOT/bin/NAME linked against it with the given linker
// flags; returns the program's path.
std::string buildPairIn(const std::string& root, const std::string& name,
                        const std::vector<std::string>& ldflags) {
  std::string lib = root + "/lib";
  std::string bin = root + "/bin";
  REQUIRE(run({"mkdir", "-p", lib, bin}).status == 0);
  if (access((lib + "/libdoctor_lib.so").c_str(), F_OK) != 0) {
    RunResult cl = run({"cc", "-shared", "-fPIC", "-o", lib + "/libdoctor_lib.so",
                        sourceDir() + "/programs/doctor_lib.c"},
                       120s);
    REQUIRE_MESSAGE(cl.status == 0, cl.err);
  }
  std::vector<std::string> argv = {
      "cc",       "-o",          bin + "/" + name, sourceDir() + "/programs/doctor_main.c",
      "-L" + lib, "-ldoctor_lib"};
  argv.insert(argv.end(), ldflags.begin(), ldflags.end());
  RunResult cc = run(argv, 120s);
  REQUIRE_MESSAGE(cc.status == 0, cc.err);
  REQUIRE(run({"chmod", "-R", "a+rX", root}).status == 0);
  return bin + "/" + name;
}

// The same in dir/app.
std::string buildPair(const TempDir& dir, const std::string& name,
                      const std::vector<std::string>& ldflags) {
  return buildPairIn(dir / "app", name, ldflags);
}

// What a --fix must leave alone when it refuses or fails: bytes, owner, group, mode, getcap.
struct FileState {
  std::string hash, caps;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
  bool operator==(const FileState&) const = default;
};

FileState fileState(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return {sha256(path), getcap(path), st.st_uid, st.st_gid, st.st_mode & 07777};
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The names in dir, one per entry (a name may hold a newline, so they are NUL-separated).
std::vector<std::string> namesIn(const std::string& dir) {
  RunResult r = run({"find", dir, "-mindepth", "1", "-printf", "%P\\0"});
  REQUIRE(r.status == 0);
  std::vector<std::string> out;
  for (size_t at = 0, nul; (nul = r.out.find('\0', at)) != std::string::npos; at = nul + 1)
    out.push_back(r.out.substr(at, nul - at));
  return out;
}

// The strings of a JSON list, evaluated by python over the document (NUL-separated there).
std::vector<std::string> jsonList(const std::string& json, const std::string& expr) {
  RunResult r = run({python(), "-c",
                     "import json,sys; d=json.load(sys.stdin); "
                     "sys.stdout.write(''.join(s + chr(0) for s in " +
                         expr + "))"},
                    30s, json);
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::vector<std::string> out;
  for (size_t at = 0, nul; (nul = r.out.find('\0', at)) != std::string::npos; at = nul + 1)
    out.push_back(r.out.substr(at, nul - at));
  return out;
}

}  // namespace

TEST_SUITE("doctor") {
TEST_CASE("java: a setcap'd JDK copy fails, doctor explains, --fix makes it bind as nobody") {
  std::string home = systemJdk();
  if (home.empty()) {
    SKIP_TEST("no JDK behind /usr/bin/java");
  }
  TempDir dir;
  std::string java = copyJdk(home, dir);
  REQUIRE(run({"chmod", "-R", "a+rX", dir.path()}).status == 0);
  // Sanity: the copy starts as root, where nothing is secure.
  RunResult version = run({java, "-version"}, 60s);
  REQUIRE_MESSAGE(version.status == 0, version.err);

  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", java}).status == 0);
  REQUIRE(getcap(java).find("cap_net_bind_service=ep") != std::string::npos);
  REQUIRE(dynamicTag(java, "RPATH").find("$ORIGIN") != std::string::npos);

  // The real failure, first: without it this test would prove nothing.
  RunResult broken = run(asNobody({java, "-version"}), 60s);
  REQUIRE(broken.status == 127);
  REQUIRE_MESSAGE(broken.err.find("libjli.so: cannot open shared object file") != std::string::npos,
                  broken.err);

  // doctor names the cause: $ORIGIN ignored in secure-execution mode, libjli.so missing.
  RunResult report = doctor({java});
  CHECK(report.status == 1);
  CHECK(report.out.find("$ORIGIN") != std::string::npos);
  CHECK(report.out.find("libjli.so will not load") != std::string::npos);
  CHECK(report.out.find("secure-execution mode") != std::string::npos);
  CHECK(report.out.find("JDK 9+ layout") != std::string::npos);
  CHECK(report.out.find("privbind doctor --fix") != std::string::npos);
  CHECK(report.err.empty());

  // `java` resolved through $JAVA_HOME, reported as JSON.
  RunResult js =
      run({"env", "JAVA_HOME=" + dir / "jdk", privbindPath(), "doctor", "--json", "java"}, 60s);
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "d['target']['path']") == java);
  CHECK(jsonQuery(js.out, "d['target']['query']") == "java");
  CHECK(jsonQuery(js.out, "d['problems']") == "True");
  CHECK(jsonQuery(js.out, "d['exit_code']") == "1");
  CHECK(jsonQuery(js.out, "d['target']['secure_execution']") == "True");
  CHECK(jsonQuery(js.out, "d['target']['file_caps']") == "cap_net_bind_service=ep");
  CHECK(jsonQuery(js.out,
                  "[n['secure'] for n in d['target']['needed'] if n['name']=="
                  "'libjli.so'][0]") == "None");
  CHECK(jsonQuery(js.out,
                  "all(e['secure']['ignored'] and e['origin'] for e in "
                  "d['target']['search_path'])") == "True");
  CHECK(jsonQuery(js.out, "d['target']['jdk']['layout']") == "9+");
  CHECK(jsonQuery(js.out, "d['target']['jdk']['launchers_with_caps']") == "['" + java + "']");
  CHECK(jsonQuery(js.out, "d['target']['verdicts']['starts_as_user']") == "False");
  CHECK(jsonQuery(js.out, "[f['code'] for f in d['findings'] if f['severity']=='problem']") ==
        "['secure-library-missing']");

  // --dry-run prints the commands and changes nothing.
  std::string before = sha256(java);
  RunResult dry = doctor({"--fix", "--dry-run", java});
  CHECK(dry.status == 1);
  CHECK(dry.out.find("--force-rpath --set-rpath " + dir / "jdk/bin:" + dir / "jdk/lib") !=
        std::string::npos);
  CHECK(dry.out.find("setcap cap_net_bind_service=ep " + java) != std::string::npos);
  CHECK(sha256(java) == before);
  CHECK(access((java + ".privbind-orig").c_str(), F_OK) != 0);

  // --fix, then judge the file itself: RPATH still DT_RPATH and absolute, caps back, mode kept.
  struct stat st0 {};
  REQUIRE(stat(java.c_str(), &st0) == 0);
  RunResult fixed = doctor({"--fix", "--json", java});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(jsonQuery(fixed.out, "d['target']['fix']['status']") == "applied");
  CHECK(dynamicTag(java, "RPATH") == dir / "jdk/bin:" + dir / "jdk/lib");
  CHECK(dynamicTag(java, "RUNPATH").empty());
  CHECK(getcap(java).find("cap_net_bind_service=ep") != std::string::npos);
  struct stat st1 {};
  REQUIRE(stat(java.c_str(), &st1) == 0);
  CHECK(st1.st_mode == st0.st_mode);
  CHECK(st1.st_uid == st0.st_uid);
  CHECK(st1.st_gid == st0.st_gid);
  // The backup is the original bytes, but not a second privileged program.
  CHECK(sha256(java + ".privbind-orig") == before);
  CHECK(getcap(java + ".privbind-orig").find("cap_") == std::string::npos);

  // The fixed copy starts as nobody and binds a reserved port with its file capability.
  uint16_t port = freeReservedPort();
  Process server(asNobody(
      {java, "-XX:-UsePerfData", sourceDir() + "/programs/DoctorBind.java", std::to_string(port)}));
  bool up = waitForTcp("127.0.0.1", port, 90s);
  if (!up) {
    server.kill();
    server.wait();
    FAIL("java did not listen: " << server.out() << server.err());
  }
  CHECK(tcpRead("127.0.0.1", port) == "hello from java\n");
  CHECK(server.out().find("listening") != std::string::npos);
  // The kernel's view: the listener belongs to nobody and holds only its file capability.
  auto st = status(server.pid());
  CHECK(st.uid[1] == kNobody);
  CHECK(st.capEff == kNetBind);
  server.kill();
  server.wait();

  // doctor is now happy, and a second --fix changes nothing.
  RunResult after = doctor({java});
  CHECK_MESSAGE(after.status == 0, after.out);
  std::string fixedHash = sha256(java);
  RunResult again = doctor({"--fix", "--json", java});
  CHECK(again.status == 0);
  CHECK(jsonQuery(again.out, "d['target']['fix']['status']") == "unchanged");
  CHECK(sha256(java) == fixedHash);
  CHECK(getcap(java).find("cap_net_bind_service=ep") != std::string::npos);
}

TEST_CASE("the system JDK under /usr/lib: $ORIGIN is trusted there") {
  std::string home = systemJdk();
  if (home.empty() || home.rfind("/usr/lib/", 0) != 0) {
    SKIP_TEST("no JDK under /usr/lib behind /usr/bin/java");
  }
  RunResult js = doctor({"--json", "java"});
  CHECK(js.status == 0);
  CHECK(jsonQuery(js.out, "d['target']['path']") == home + "/bin/java");
  // Whatever PATH says, the chain ends at the real launcher.
  CHECK(jsonQuery(js.out,
                  "[n['secure'] for n in d['target']['needed'] if n['name']=="
                  "'libjli.so'][0]") == home + "/bin/../lib/libjli.so");
  CHECK(jsonQuery(js.out,
                  "any(e['origin'] and not e['secure']['ignored'] for e in "
                  "d['target']['search_path'])") == "True");
  if (!run({"sh", "-c", "command -v dpkg-query"}).out.empty())
    CHECK(jsonQuery(js.out, "d['target']['package'] is not None") == "True");
  // Nothing to rewrite there: --fix changes nothing and says so.
  RunResult fix = doctor({"--fix", "--dry-run", "--json", "java"});
  CHECK(fix.status == 0);
  CHECK(jsonQuery(fix.out, "d['target']['fix']['status']") == "unchanged");
}

TEST_CASE("RPATH stays RPATH: $ORIGIN program fails with caps, --fix, runs as nobody") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "rpath_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(dynamicTag(prog, "RPATH") == "$ORIGIN/../lib");
  // Without file capabilities it starts for nobody, and doctor agrees.
  RunResult plain = run(asNobody({prog}));
  REQUIRE(plain.out == "answer 42\n");
  CHECK(doctor({prog}).status == 0);

  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  RunResult broken = run(asNobody({prog}));
  REQUIRE(broken.status == 127);
  REQUIRE(broken.err.find("libdoctor_lib.so") != std::string::npos);
  RunResult report = doctor({prog});
  CHECK(report.status == 1);
  CHECK(report.out.find("libdoctor_lib.so will not load") != std::string::npos);

  RunResult fixed = doctor({"--fix", prog});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(dynamicTag(prog, "RPATH") == dir / "app/lib");
  CHECK(dynamicTag(prog, "RUNPATH").empty());
  CHECK(getcap(prog).find("cap_net_bind_service=ep") != std::string::npos);
  CHECK(run(asNobody({prog})).out == "answer 42\n");
}

TEST_CASE("RUNPATH stays RUNPATH") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "runpath_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags"});
  REQUIRE(dynamicTag(prog, "RUNPATH") == "$ORIGIN/../lib");
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  REQUIRE(run(asNobody({prog})).status == 127);
  RunResult js = doctor({"--json", prog});
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "d['target']['search_path'][0]['tag']") == "RUNPATH");
  RunResult fixed = doctor({"--fix", "--json", prog});
  CHECK(fixed.status == 0);
  CHECK(jsonQuery(fixed.out, "d['target']['fix']['tag']") == "RUNPATH");
  CHECK(dynamicTag(prog, "RUNPATH") == dir / "app/lib");
  CHECK(dynamicTag(prog, "RPATH").empty());
  CHECK(run(asNobody({prog})).out == "answer 42\n");
}

TEST_CASE("absolute entries need no fix; relative entries are a problem --fix does not guess") {
  TempDir dir;
  std::string abs =
      buildPair(dir, "abs_prog", {"-Wl,-rpath," + dir / "app/lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", abs}).status == 0);
  CHECK(run(asNobody({abs})).out == "answer 42\n");
  CHECK(doctor({abs}).status == 0);
  RunResult noop = doctor({"--fix", "--json", abs});
  CHECK(noop.status == 0);
  CHECK(jsonQuery(noop.out, "d['target']['fix']['status']") == "unchanged");

  std::string rel = buildPair(dir, "rel_prog", {"-Wl,-rpath,lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", rel}).status == 0);
  RunResult js = doctor({"--json", rel});
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "[f['code'] for f in d['findings'] if f['severity']=='problem']")
            .find("relative-rpath") != std::string::npos);
  CHECK(jsonQuery(js.out, "d['target']['search_path'][0]['secure']['relative']") == "True");
  // The danger is real: from dir/app, nobody's working directory decides what loads.
  RunResult fromApp = run({"sh", "-c",
                           "cd '" + dir / "app" +
                               "' && exec setpriv --reuid=65534 "
                               "--regid=65534 --clear-groups -- '" +
                               rel + "'"});
  CHECK(fromApp.out == "answer 42\n");
  std::string hash = sha256(rel);
  RunResult fix = doctor({"--fix", rel});
  CHECK(fix.status == 1);
  CHECK(sha256(rel) == hash);
}

TEST_CASE("$ORIGIN is allowed in secure mode only as the first thing of an entry") {
  TempDir dir;
  // "$ORIGIN/../lib" in the middle of an entry: ld.so drops it even in a trusted directory.
  std::string prog =
      buildPair(dir, "mid_prog", {"-Wl,-rpath,/nonexistent/$ORIGIN", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  RunResult js = doctor({"--json", prog});
  CHECK(jsonQuery(js.out, "d['target']['search_path'][0]['secure']['reason']")
            .find("unless it starts the entry") != std::string::npos);
}

TEST_CASE("setuid: secure too; --fix keeps the setuid bit and mode") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "suid_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"chmod", "4755", prog}).status == 0);
  RunResult broken = run(asNobody({prog}));
  REQUIRE(broken.status == 127);
  RunResult js = doctor({"--json", prog});
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "d['target']['setuid']") == "True");
  CHECK(jsonQuery(js.out, "d['target']['secure_execution']") == "True");
  CHECK(jsonQuery(js.out, "d['target']['file_caps']") == "None");
  RunResult fixed = doctor({"--fix", prog});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  struct stat st {};
  REQUIRE(stat(prog.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_uid == 0);
  // The backup is not a second setuid program.
  REQUIRE(stat((prog + ".privbind-orig").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  CHECK(run(asNobody({prog})).out == "answer 42\n");
}

TEST_CASE("libraries' own $ORIGIN RUNPATH keeps working in secure mode") {
  // main -> libouter.so (RUNPATH $ORIGIN) -> libinner.so. Only the executable's $ORIGIN is
  // checked against the trusted directories (dl-load.c), so after the fix the chain loads.
  TempDir dir;
  std::string lib = dir / "app/lib", bin = dir / "app/bin";
  REQUIRE(run({"mkdir", "-p", lib, bin}).status == 0);
  REQUIRE(sh("printf 'int inner(void){return 42;}\\n' > '" + dir / "inner.c" +
             "' && "
             "printf 'int inner(void); int outer(void){return inner();}\\n' > '" +
             dir / "outer.c" +
             "' && "
             "printf '#include <stdio.h>\\nint outer(void); int main(void){printf(\"answer "
             "%%d\\\\n\", outer()); return 0;}\\n' > '" +
             dir / "main.c" + "'")
              .status == 0);
  REQUIRE(
      run({"cc", "-shared", "-fPIC", "-o", lib + "/libinner.so", dir / "inner.c"}, 120s).status ==
      0);
  REQUIRE(run({"cc", "-shared", "-fPIC", "-o", lib + "/libouter.so", dir / "outer.c", "-L" + lib,
               "-linner", "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"},
              120s)
              .status == 0);
  std::string prog = bin + "/chain";
  RunResult cc =
      run({"cc", "-o", prog, dir / "main.c", "-L" + lib, "-louter", "-Wl,-rpath-link," + lib,
           "-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"},
          120s);
  REQUIRE_MESSAGE(cc.status == 0, cc.err);
  REQUIRE(run({"chmod", "-R", "a+rX", dir.path()}).status == 0);
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  REQUIRE(run(asNobody({prog})).status == 127);

  RunResult js = doctor({"--json", prog});
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "sorted(n['name'] for n in d['target']['needed'] if not n['secure'])") ==
        "['libinner.so', 'libouter.so']");
  RunResult fixed = doctor({"--fix", "--json", prog});
  CHECK(fixed.status == 0);
  // After the fix doctor predicts libinner.so through libouter.so's own $ORIGIN...
  CHECK(jsonQuery(fixed.out,
                  "[n['secure'] for n in d['target']['needed'] if n['name']=="
                  "'libinner.so'][0]") == lib + "/libinner.so");
  // ...and ld.so agrees.
  CHECK(run(asNobody({prog})).out == "answer 42\n");
}

TEST_CASE("--fix refuses a privileged file that someone else can swap") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "shared_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  REQUIRE(run({"chown", "65534", dir / "app/bin"}).status == 0);
  std::string hash = sha256(prog);
  RunResult js = doctor({"--json", prog});
  CHECK(js.status == 1);
  CHECK(jsonQuery(js.out, "'unsafe-location' in [f['code'] for f in d['findings']]") == "True");
  checkRefusal(doctor({"--fix", prog}), "is owned by uid 65534");
  CHECK(sha256(prog) == hash);
  CHECK(getcap(prog).find("cap_net_bind_service=ep") != std::string::npos);
  CHECK(access((prog + ".privbind-orig").c_str(), F_OK) != 0);
}

TEST_CASE("the recommended /etc/ld.so.conf.d line works without changing the binary") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "ldconf_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  REQUIRE(run(asNobody({prog})).status == 127);
  RunResult js = doctor({"--json", prog});
  std::string line = jsonQuery(js.out,
                               "[c for c in d['target']['recommended'] if "
                               "'ld.so.conf.d' in c and not c.startswith('#')][0]");
  const std::string conf = "/etc/ld.so.conf.d/privbind-ldconf_prog.conf";
  REQUIRE(line == "printf '%s\\n' " + dir / "app/lib" + " > " + conf + " && ldconfig");
  REQUIRE(access(conf.c_str(), F_OK) != 0);  // never clobber an admin's file
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      unlink(path.c_str());
      run({"ldconfig"});
    }
  } cleanup{conf};
  std::string hash = sha256(prog);
  REQUIRE(sh(line).status == 0);
  CHECK(run(asNobody({prog})).out == "answer 42\n");
  CHECK(doctor({prog}).status == 0);
  CHECK(sha256(prog) == hash);
}

TEST_CASE("JDK 8 layout is recognised") {
  TempDir dir;
  std::string home = dir / "jdk8";
  REQUIRE(
      run({"mkdir", "-p", home + "/bin", home + "/jre/bin", home + "/jre/lib/amd64/jli"}).status ==
      0);
  REQUIRE(run({"cp", "/bin/true", home + "/bin/java"}).status == 0);
  REQUIRE(run({"cp", "/bin/true", home + "/jre/bin/keytool"}).status == 0);
  REQUIRE(run({"cp", "/bin/true", home + "/jre/lib/amd64/jli/libjli.so"}).status == 0);
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", home + "/jre/bin/keytool"}).status == 0);
  RunResult js = doctor({"--json", home + "/bin/java"});
  CHECK(jsonQuery(js.out, "d['target']['jdk']['layout']") == "8");
  CHECK(jsonQuery(js.out, "d['target']['jdk']['libjli']") == home + "/jre/lib/amd64/jli/libjli.so");
  CHECK(jsonQuery(js.out, "d['target']['jdk']['launchers_with_caps']") ==
        "['" + home + "/jre/bin/keytool']");
}

TEST_CASE("targets execve(2) refuses are judged: exit 1, never 'no problem found'") {
  TempDir dir;
  // Each: what to make, what doctor must say about it.
  REQUIRE(sh("printf 'hello\\n' > '" + dir / "text" + "' && chmod 0755 '" + dir / "text" + "'")
              .status == 0);
  REQUIRE(sh("printf '#!/nonexistent/sh\\necho hi\\n' > '" + dir / "script" + "' && chmod 0755 '" +
             dir / "script" + "'")
              .status == 0);
  REQUIRE(sh(": > '" + dir / "empty" + "' && chmod 0755 '" + dir / "empty" + "'").status == 0);
  const std::vector<std::pair<std::string, std::string>> judged = {
      {dir / "text", "is neither an ELF program nor a script"},
      {dir / "script", "its \"#!\" interpreter /nonexistent/sh does not exist"},
      {dir / "empty", "is empty"},
      {dir.path(), "it is a directory"},
  };
  for (const auto& entry : judged) {
    // Named references, not structured bindings: clang 14 cannot capture those in INFO's lambda.
    const std::string& target = entry.first;
    const std::string& says = entry.second;
    INFO("target: ", target);
    RunResult r = doctor({target});
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.out.find(says) != std::string::npos, r.out);
    CHECK(r.out.find("Result: problems found") != std::string::npos);
    RunResult js = doctor({"--json", target});
    CHECK(js.status == 1);
    CHECK(jsonQuery(js.out, "[f['code'] for f in d['findings']]") == "['exec-fails']");
    CHECK(jsonQuery(js.out, "d['target']['verdicts']") ==
          "{'checked': True, 'starts_as_user': False, 'binds_as_user': False, 'binds_because': "
          "[], 'cgroup_mode': False, 'broker_mode': False, 'caps_mode': False}");
  }
}

TEST_CASE("targets doctor cannot inspect: one clear line, exit 125, no crash") {
  TempDir dir;
  REQUIRE(sh("head -c 200 /bin/true > '" + dir / "truncated" + "' && chmod 0755 '" +
             dir / "truncated" + "'")
              .status == 0);
  checkRefusal(doctor({dir / "truncated"}), "truncated or malformed ELF file");
  // --json still writes one JSON object to stdout when doctor cannot inspect.
  RunResult js = doctor({"--json", dir / "truncated"});
  CHECK(js.status == 125);
  CHECK_MESSAGE(std::regex_search(js.err, std::regex("^privbind: [^\n]+: [^\n]+\n")), js.err);
  CHECK(jsonQuery(js.out, "d['exit_code']") == "125");
  CHECK(jsonQuery(js.out, "d['error']['message'].startswith('privbind: ')") == "True");
  CHECK(jsonQuery(js.out, "'truncated' in d['error']['why']") == "True");
  REQUIRE(symlink((dir / "nowhere").c_str(), (dir / "dangling").c_str()) == 0);
  checkRefusal(doctor({dir / "dangling"}), "dangling symbolic link");
  checkRefusal(doctor({"no-such-command-privbind-doctor"}), "not found");
  // Executable by nobody but unreadable to it: doctor run as nobody cannot look inside.
  REQUIRE(run({"cp", "/bin/true", dir / "secret"}).status == 0);
  REQUIRE(run({"chmod", "0711", dir / "secret"}).status == 0);
  RunResult unreadable = run(asNobody({privbindPath(), "doctor", dir / "secret"}));
  checkRefusal(unreadable, "open(" + dir / "secret" + "): Permission denied");
}

TEST_CASE("another architecture: judged when the kernel says, never 'no problem found' when not") {
  TempDir dir;
  // An x86-64 program with e_machine set to AArch64: this kernel refuses it (ENOEXEC).
  REQUIRE(run({"cp", "/bin/true", dir / "arm"}).status == 0);
  REQUIRE(
      sh("printf '\\267\\000' | dd of='" + dir / "arm" + "' bs=1 seek=18 conv=notrunc status=none")
          .status == 0);
  RunResult arm = doctor({"--json", dir / "arm"});
  CHECK(arm.status == 1);
  CHECK(jsonQuery(arm.out, "d['target']['machine']") == "AArch64");
  CHECK(jsonQuery(arm.out, "d['target']['verdicts']['checked']") == "True");
  CHECK(jsonQuery(arm.out, "d['target']['verdicts']['starts_as_user']") == "False");
  CHECK(jsonQuery(arm.out, "'Exec format error' in d['target']['exec_failure']") == "True");

  // A 32-bit x86 static program: the kernel's IA32 emulation runs it (when it has one).
  REQUIRE(sh("printf 'void _start(void){for(;;);}\\n' > '" + dir / "s.c" + "'").status == 0);
  RunResult cc = run({"cc", "-m32", "-nostdlib", "-static", "-o", dir / "x32", dir / "s.c"}, 120s);
  if (cc.status != 0) {
    SKIP_TEST(std::string("cc cannot build 32-bit code here: ") + cc.err);
  }
  RunResult r = doctor({"--json", dir / "x32"});
  CHECK(jsonQuery(r.out, "d['target']['elf_class']") == "32");
  CHECK(jsonQuery(r.out, "d['target']['machine']") == "i386");
  CHECK(jsonQuery(r.out, "d['target']['native']") == "False");
  RunResult config = sh("zcat /proc/config.gz | grep -qx CONFIG_IA32_EMULATION=y");
  if (config.status == 0) {
    CHECK(r.status == 0);
    CHECK(jsonQuery(r.out, "d['target']['verdicts']['starts_as_user']") == "True");
  } else {
    CHECK(r.status == 1);
  }
  CHECK(doctor({dir / "x32"}).out.find("32-bit i386") != std::string::npos);
}

TEST_CASE("static and Go-less dynamic programs get the right mode verdicts") {
  TempDir dir;
  std::string dyn = buildC("bind_server.c", dir.path());
  RunResult js = doctor({"--json", dyn});
  CHECK(js.status == 0);
  CHECK(jsonQuery(js.out, "d['target']['verdicts']") ==
        "{'checked': True, 'starts_as_user': True, 'binds_as_user': False, 'binds_because': [], "
        "'cgroup_mode': True, 'broker_mode': True, 'caps_mode': True}");
  RunResult st = run({"cc", "-static", "-o", dir / "static_server",
                      sourceDir() + "/programs/bind_server.c", "-pthread"},
                     120s);
  if (st.status == 0) {
    RunResult s = doctor({"--json", dir / "static_server"});
    CHECK(s.status == 0);
    CHECK(jsonQuery(s.out, "d['target']['dynamic']") == "False");
    CHECK(jsonQuery(s.out, "d['target']['verdicts']['broker_mode']") == "False");
    CHECK(jsonQuery(s.out, "d['target']['verdicts']['caps_mode']") == "True");
  }
}

TEST_CASE("usage errors") {
  RunResult bogus = doctor({"--bogus"});
  CHECK(bogus.status == 125);
  CHECK(bogus.err == "privbind: --bogus: unknown option\nTry 'privbind doctor --help'.\n");
  RunResult dry = doctor({"--dry-run", "/bin/true"});
  CHECK(dry.status == 125);
  CHECK(dry.err.find("--dry-run: only makes sense with --fix") != std::string::npos);
  CHECK(doctor({"--fix"}).status == 125);
  CHECK(doctor({"a", "b"}).status == 125);
  RunResult help = doctor({"--help"});
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: privbind doctor") != std::string::npos);
  CHECK(help.out.find("--dry-run") != std::string::npos);
}

TEST_CASE("the system: port start, capabilities, shim") {
  RunResult r = doctor({"--json"});
  CHECK_MESSAGE(r.status == 0, r.out);
  CHECK(jsonQuery(r.out, "d['target']") == "None");
  CHECK(jsonQuery(r.out, "d['system']['net_bind_in_bounding']") == "True");
  CHECK(jsonQuery(r.out, "d['system']['shim_loadable']") == "True");
  CHECK(jsonQuery(r.out, "d['system']['shim']") == shimPath());
  CHECK(jsonQuery(r.out, "d['system']['unprivileged_port_start']") ==
        std::to_string(privbind::files::unprivilegedPortStart()));
  RunResult text = doctor({});
  // Said once (it used to be said twice: on the port start line and in the note).
  const std::string tool = "no tool needed for ports >= ";
  const size_t first = text.out.find(tool);
  CHECK(first != std::string::npos);
  CHECK(text.out.find(tool, first + 1) == std::string::npos);

  // Like a container without the capability and without BPF rights: no mode can work, and
  // doctor says so.
  RunResult lacking = run({"setpriv", "--bounding-set", "-net_bind_service,-bpf,-sys_admin", "--",
                           privbindPath(), "doctor"});
  CHECK(lacking.status == 1);
  CHECK(lacking.out.find("neither caps mode nor broker mode can work") != std::string::npos);
  CHECK(lacking.out.find("cgroup mode:  DOES NOT WORK") != std::string::npos);
  // cgroup mode does not need the capability: where it works, its absence is a warning.
  RunResult noBind =
      run({"setpriv", "--bounding-set", "-net_bind_service", "--", privbindPath(), "doctor"});
  CHECK(noBind.out.find("neither caps mode nor broker mode can work") != std::string::npos);
  if (noBind.out.find("cgroup mode:  works") != std::string::npos)
    CHECK(noBind.status == 0);
  else
    CHECK(noBind.status == 1);
  // As an ordinary user doctor can still look, and says it should run as root.
  RunResult user = run(asNobody({privbindPath(), "doctor", "--json"}));
  CHECK(jsonQuery(user.out, "[f['code'] for f in d['findings'] if f['code']=='not-root']") ==
        "['not-root']");
}

TEST_CASE("--fix never writes an RPATH entry with ':' or '$': refused, file untouched") {
  // A JDK-like layout whose directory name ld.so would read as something else: RPATH is
  // split at ':' (here into a directory and the cwd-relative "x/lib"), and $LIB is expanded
  // again. Either would let whoever picks names or the working directory pick the library.
  for (const std::string& home : {std::string("jdk:x"), std::string("jdk$LIB")}) {
    CAPTURE(home);
    TempDir dir;
    std::string java =
        buildPairIn(dir / home, "java", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
    REQUIRE(run({"chown", "0:65534", java}).status == 0);
    REQUIRE(run({"chmod", "0750", java}).status == 0);
    REQUIRE(run({"setcap", "cap_net_bind_service=+ep", java}).status == 0);
    FileState before = fileState(java);
    REQUIRE(before.caps.find("cap_net_bind_service=ep") != std::string::npos);

    RunResult report = doctor({"--json", java});
    CHECK(report.status == 1);
    CHECK(jsonQuery(report.out, "'fix-refused' in [f['code'] for f in d['findings']]") == "True");
    CHECK(jsonQuery(report.out, "any('--fix' in c for c in d['target']['recommended'])") ==
          "False");
    std::string why = home.find(':') != std::string::npos ? "contains ':'" : "contains '$'";
    checkRefusal(doctor({"--fix", java}), why);
    checkRefusal(doctor({"--fix", "--dry-run", java}), why);
    CHECK(fileState(java) == before);
    CHECK(dynamicTag(java, "RPATH") == "$ORIGIN/../lib");
    CHECK(namesIn(dir / home + "/bin") == std::vector<std::string>{"java"});
  }
  // The control: the same layout under a plain name is fixed.
  TempDir dir;
  std::string java =
      buildPairIn(dir / "jdk", "java", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", java}).status == 0);
  RunResult fixed = doctor({"--fix", java});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(dynamicTag(java, "RPATH") == dir / "jdk/lib");
}

TEST_CASE("--fix never writes an RPATH directory someone else could put a library in") {
  TempDir dir;
  std::string prog =
      buildPair(dir, "dirs_prog",
                {"-Wl,-rpath,$ORIGIN/../lib:$ORIGIN/../plugins", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  FileState before = fileState(prog);
  // plugins/ does not exist, and app/ is sticky and world-writable: anyone may create it.
  REQUIRE(run({"chmod", "1777", dir / "app"}).status == 0);
  checkRefusal(doctor({"--fix", prog}), dir /
                                            "app is writable by its group or by others, and "
                                            "a directory below it does not exist yet");
  CHECK(fileState(prog) == before);
  RunResult js = doctor({"--json", prog});
  CHECK(jsonQuery(js.out, "'fix-refused' in [f['code'] for f in d['findings']]") == "True");
  REQUIRE(run({"chmod", "0755", dir / "app"}).status == 0);
  // lib/ belongs to another user.
  REQUIRE(run({"chown", "65534", dir / "app/lib"}).status == 0);
  checkRefusal(doctor({"--fix", prog}), dir / "app/lib is owned by uid 65534");
  CHECK(fileState(prog) == before);
  // The control: lib/ root's, app/ root's alone; the missing plugins/ is harmless there.
  REQUIRE(run({"chown", "0", dir / "app/lib"}).status == 0);
  RunResult fixed = doctor({"--fix", prog});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(dynamicTag(prog, "RPATH") == dir / "app/lib:" + dir / "app/plugins");
}

TEST_CASE("--fix that leaves a problem puts the original back: bytes, owner, mode, caps") {
  // The program needs libdoctor_lib.so (through $ORIGIN, which --fix rewrites) and
  // libgone.so, which no RPATH entry and no system directory holds: after the rewrite the
  // inspection still finds a library that will not load, so the fix must be undone.
  TempDir dir;
  std::string lib = dir / "app/lib";
  REQUIRE(run({"mkdir", "-p", lib}).status == 0);
  REQUIRE(sh("printf 'int gone(void){return 1;}\\n' > '" + dir / "gone.c" + "'").status == 0);
  REQUIRE(run({"cc", "-shared", "-fPIC", "-o", lib + "/libgone.so", dir / "gone.c"}, 120s).status ==
          0);
  std::string prog = buildPair(
      dir, "gone_prog",
      {"-Wl,--no-as-needed", "-lgone", "-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"mv", lib + "/libgone.so", dir / "libgone.so"}).status == 0);
  REQUIRE(run({"chown", "0:65534", prog}).status == 0);
  REQUIRE(run({"chmod", "04750", prog}).status == 0);
  REQUIRE(run({"setcap", "cap_net_bind_service,cap_net_raw=+ep", prog}).status == 0);
  FileState before = fileState(prog);
  REQUIRE((before.mode & 04000) != 0);
  REQUIRE(before.caps.find("cap_net_bind_service") != std::string::npos);

  RunResult failed = doctor({"--fix", prog});
  checkRefusal(failed, "a problem remains after the rewrite: library-missing");
  CHECK(failed.err.find("the original was restored") != std::string::npos);
  CHECK(fileState(prog) == before);
  CHECK(dynamicTag(prog, "RPATH") == "$ORIGIN/../lib");
  // No backup, no temporary file left behind.
  CHECK(namesIn(dir / "app/bin") == std::vector<std::string>{"gone_prog"});

  // The control: with libgone.so where the new RPATH looks, the same fix goes through.
  REQUIRE(run({"mv", dir / "libgone.so", lib + "/libgone.so"}).status == 0);
  RunResult fixed = doctor({"--fix", prog});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(dynamicTag(prog, "RPATH") == lib);
  CHECK(fileState(prog).caps == before.caps);
  CHECK(fileState(prog).mode == before.mode);
  CHECK(run(asNobody({prog})).out == "answer 42\n");
}

TEST_CASE("--fix never adopts a FILE.privbind-orig it did not make") {
  // A sticky, world-writable directory (like /tmp): root's program cannot be swapped there,
  // but anyone can create the backup's name first.
  TempDir dir;
  std::string prog =
      buildPair(dir, "planted_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  REQUIRE(run({"chmod", "1777", dir / "app/bin"}).status == 0);
  std::string planted = prog + ".privbind-orig";
  REQUIRE(run(asNobody({"sh", "-c", "echo not the original > \"$1\"", "sh", planted})).status == 0);
  FileState before = fileState(prog), plantedBefore = fileState(planted);
  CHECK(plantedBefore.uid == kNobody);
  checkRefusal(doctor({"--fix", prog}), "already exists; it was not made by this run");
  CHECK(fileState(prog) == before);
  CHECK(fileState(planted) == plantedBefore);
  RunResult dry = doctor({"--fix", "--dry-run", "--json", prog});
  CHECK(jsonQuery(dry.out, "d['target']['fix']['backup_existed']") == "True");
  CHECK(jsonQuery(dry.out, "any('would refuse' in n for n in d['target']['fix']['notes'])") ==
        "True");
  // A symlink planted there is not followed either.
  REQUIRE(unlink(planted.c_str()) == 0);
  REQUIRE(symlink((dir / "elsewhere").c_str(), planted.c_str()) == 0);
  checkRefusal(doctor({"--fix", prog}), "already exists");
  CHECK(access((dir / "elsewhere").c_str(), F_OK) != 0);
  CHECK(fileState(prog) == before);
  // The control: with the name free, the fix goes through in the sticky directory.
  REQUIRE(unlink(planted.c_str()) == 0);
  RunResult fixed = doctor({"--fix", prog});
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(fileState(planted).uid == 0);
}

TEST_CASE("every printed command is safe to paste for any file name") {
  // A name with ';', quotes, '$(...)', backquotes, spaces and newlines: each would run a
  // command of its own if a printed command did not quote it.
  const std::string name =
      "a b;touch PWNED1;'q'$(touch PWNED2)`touch PWNED3`\ntouch PWNED4\n\"$HOME\" x";
  TempDir dir;
  std::string stubs = dir / "stubs", sandbox = dir / "sandbox";
  REQUIRE(run({"mkdir", "-p", stubs, sandbox}).status == 0);
  // privbind is the real one; ldconfig only says it ran (the system cache stays as it is).
  REQUIRE(symlink(privbindPath().c_str(), (stubs + "/privbind").c_str()) == 0);
  REQUIRE(sh("printf '#!/bin/sh\\necho ldconfig ran\\n' > '" + stubs +
             "/ldconfig' && chmod 0755 '" + stubs + "/ldconfig'")
              .status == 0);
  auto paste = [&](const std::string& command) {
    return run({"env", "-C", sandbox, "PATH=" + stubs + ":/usr/sbin:/usr/bin:/sbin:/bin", "sh",
                "-c", command},
               120s);
  };
  auto nothingElseRan = [&](const std::string& root) {
    CHECK(namesIn(sandbox).empty());
    for (const char* f : {"PWNED1", "PWNED2", "PWNED3", "PWNED4"}) {
      CHECK(access((sandbox + "/" + f).c_str(), F_OK) != 0);
      CHECK(access((root + "/bin/" + f).c_str(), F_OK) != 0);
    }
  };

  // The recommendations, text and JSON alike.
  std::string root = dir / "rec";
  std::string prog =
      buildPairIn(root, name, {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog}).status == 0);
  RunResult js = doctor({"--json", prog});
  REQUIRE(js.status == 1);
  RunResult text = doctor({prog});
  std::vector<std::string> commands =
      jsonList(js.out, "[c for c in d['target']['recommended'] if not c.startswith('#')]");
  REQUIRE(commands.size() == 4);
  for (const auto& c : jsonList(js.out, "d['target']['recommended']"))
    CHECK_MESSAGE(text.out.find("  " + c + "\n") != std::string::npos, c);
  for (const auto& c : jsonList(js.out, "d['target']['recommended']"))
    if (c.starts_with("#")) CHECK(c.find('\n') == std::string::npos);

  // 1. privbind doctor --fix FILE: fixes exactly that file.
  REQUIRE(commands[0].starts_with("privbind doctor --fix "));
  RunResult fixed = paste(commands[0]);
  CHECK_MESSAGE(fixed.status == 0, fixed.out << fixed.err);
  CHECK(dynamicTag(prog, "RPATH") == root + "/lib");
  CHECK(run(asNobody({prog})).out == "answer 42\n");
  nothingElseRan(root);
  // 2. the ld.so.conf.d line writes the one directory into a file of a plain name.
  REQUIRE(commands[1].find("ldconfig") != std::string::npos);
  std::string conf =
      "/etc/ld.so.conf.d/privbind-a_b_touch_PWNED1__q___touch_PWNED2__touch_"
      "PWNED3__touch_PWNED4___HOME__x.conf";
  REQUIRE(access(conf.c_str(), F_OK) != 0);
  struct Cleanup {
    std::string path;
    ~Cleanup() { unlink(path.c_str()); }
  } cleanup{conf};
  RunResult confRun = paste(commands[1]);
  CHECK_MESSAGE(confRun.out == "ldconfig ran\n", confRun.out << confRun.err);
  CHECK(readText(conf) == root + "/lib\n");
  nothingElseRan(root);
  // 3. setcap -r FILE: removes that file's capabilities.
  REQUIRE(commands[2].starts_with("setcap -r "));
  CHECK(paste(commands[2]).status == 0);
  CHECK(getcap(prog).empty());
  nothingElseRan(root);
  // 4. the caps-mode line names a USER placeholder: it fails, and runs nothing else.
  CHECK(paste(commands[3]).status == 125);
  nothingElseRan(root);

  // What --fix --dry-run prints, pasted line by line, does the fix on that file and no other.
  std::string root2 = dir / "dry";
  std::string prog2 =
      buildPairIn(root2, name, {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--disable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=+ep", prog2}).status == 0);
  std::string original = sha256(prog2);
  RunResult dry = doctor({"--fix", "--dry-run", "--json", prog2});
  std::vector<std::string> steps = jsonList(dry.out, "d['target']['fix']['commands']");
  REQUIRE(steps.size() >= 4);
  RunResult dryText = doctor({"--fix", "--dry-run", prog2});
  for (const auto& c : steps) {
    CHECK_MESSAGE(dryText.out.find("  " + c + "\n") != std::string::npos, c);
    RunResult r = paste(c);
    CHECK_MESSAGE(r.status == 0, c << "\n" << r.err);
  }
  CHECK(sha256(prog2 + ".privbind-orig") == original);
  CHECK(dynamicTag(prog2, "RPATH") == root2 + "/lib");
  CHECK(getcap(prog2).find("cap_net_bind_service=ep") != std::string::npos);
  CHECK(run(asNobody({prog2})).out == "answer 42\n");
  nothingElseRan(root2);
  CHECK(namesIn(root2 + "/bin").size() == 2);
}
}  // TEST_SUITE("doctor")

TEST_SUITE("doctor") {
TEST_CASE("the system ld.so, asked as the user, runs none of the target's code") {
  TempDir dir;
  std::string marks = dir / "marks";
  REQUIRE(run({"mkdir", "-m", "0777", marks}).status == 0);
  const std::string def = "-DMARK_DIR=\"" + marks + "\"";
  std::string lib = dir / "lib/libdoctor_ctor.so";
  REQUIRE(run({"mkdir", "-p", "-m", "0755", dir / "lib"}).status == 0);
  RunResult cl =
      run({"cc", "-shared", "-fPIC", def, "-o", lib, sourceDir() + "/programs/doctor_ctor_lib.c"},
          120s);
  REQUIRE_MESSAGE(cl.status == 0, cl.err);
  std::string prog = dir / "ctor_prog";
  // -z now: with eager binding too, nothing runs.
  RunResult cc =
      run({"cc", def, "-o", prog, sourceDir() + "/programs/doctor_ctor_main.c", "-L" + dir / "lib",
           "-ldoctor_ctor", "-Wl,-rpath," + dir / "lib", "-Wl,-z,now"},
          120s);
  REQUIRE_MESSAGE(cc.status == 0, cc.err);
  REQUIRE(run({"chmod", "-R", "a+rX", dir.path()}).status == 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--json", prog}, {"--json", "-u", "nobody", prog}, {"--json", "-u", "daemon", prog}}) {
    RunResult js = doctor(args);
    CHECK(js.status == 0);
    CHECK(jsonQuery(js.out, "d['target']['libraries_from']") == "ld.so");
    CHECK(jsonQuery(js.out,
                    "[n['normal'] for n in d['target']['needed'] if n['name']=="
                    "'libdoctor_ctor.so'][0]") == lib);
  }
  CHECK(namesIn(marks).empty());
  // Negative control: the marks are real; running the program leaves every one of them.
  REQUIRE(run(asNobody({prog})).status == 0);
  std::vector<std::string> left = namesIn(marks);
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{"lib-constructor", "lib-ifunc", "main", "main-constructor",
                                         "main-ifunc", "main-preinit"});
}

TEST_CASE("the advice names the least-privileged mode that works here") {
  TempDir dir;
  RunResult st = run({"cc", "-static", "-o", dir / "static_server",
                      sourceDir() + "/programs/bind_server.c", "-pthread"},
                     120s);
  REQUIRE_MESSAGE(st.status == 0, st.err);
  const std::string prog = dir / "static_server";
  const std::string messages = "' '.join(f['message'] for f in d['findings'])";
  RunResult js = doctor({"--json", prog});
  const bool cgroup = jsonQuery(js.out, "d['target']['verdicts']['cgroup_mode']") == "True";
  if (!cgroup) SKIP_TEST("cgroup mode does not work on this host");
  // cgroup mode needs no capability at all: first, and what the notes point to.
  CHECK(jsonQuery(js.out, "d['target']['recommended'][0]") == "privbind -u USER " + prog + " ...");
  CHECK(jsonQuery(js.out, "'use caps mode' in " + messages) == "False");
  CHECK(jsonQuery(js.out, "'use cgroup mode' in " + messages) == "True");
  // Negative control: where cgroup mode cannot work (no BPF rights), caps mode is the advice.
  RunResult without = run({"setpriv", "--bounding-set", "-bpf,-sys_admin", "--", privbindPath(),
                           "doctor", "--json", prog});
  CHECK(jsonQuery(without.out, "d['target']['verdicts']['cgroup_mode']") == "False");
  CHECK(jsonQuery(without.out, "d['target']['recommended'][0]") ==
        "privbind --mode=caps -u USER " + prog + " ...");
  CHECK(jsonQuery(without.out, "'use caps mode' in " + messages) == "True");
  // A setcap'd program whose $ORIGIN library breaks in secure mode: drop the capability and
  // use cgroup mode, not caps mode.
  std::string origin =
      buildPair(dir, "origin_prog", {"-Wl,-rpath,$ORIGIN/../lib", "-Wl,--enable-new-dtags"});
  REQUIRE(run({"setcap", "cap_net_bind_service=ep", origin}).status == 0);
  RunResult o = doctor({"--json", origin});
  CHECK(o.status == 1);
  CHECK(jsonQuery(o.out, "'privbind -u USER " + origin + " ...' in d['target']['recommended']") ==
        "True");
  CHECK(jsonQuery(o.out,
                  "any(c.startswith('privbind --mode=caps') for c in "
                  "d['target']['recommended'])") == "False");
}

TEST_CASE("--fix on a setcap'd file an ordinary user owns: a problem, exit 1") {
  TempDir dir;
  std::string prog = buildPair(dir, "owned_prog", {"-Wl,-rpath," + dir / "app/lib"});
  REQUIRE(run({"chown", "65534", prog}).status == 0);
  REQUIRE(run({"setcap", "cap_net_bind_service=ep", prog}).status == 0);
  for (const auto& args : std::vector<std::vector<std::string>>{{prog}, {"--fix", prog}}) {
    RunResult r = doctor(args);
    CHECK(r.status == 1);
    CHECK(r.out.find("is owned by uid 65534") != std::string::npos);
    CHECK(r.out.find("Result: problems found") != std::string::npos);
  }
  // Negative control: owned by root, the same file is clean.
  REQUIRE(run({"chown", "0", prog}).status == 0);
  REQUIRE(run({"setcap", "cap_net_bind_service=ep", prog}).status == 0);
  CHECK(doctor({"--fix", prog}).status == 0);
}
}  // TEST_SUITE("doctor")
