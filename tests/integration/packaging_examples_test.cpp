// examples/: the systemd units, the Dockerfile and the Kubernetes pods. No systemd and no container
// engine run here, so each example is checked with the tools that do exist (systemd-analyze
// verify, PyYAML, sh -n), and then its command line is run for real on the host inside the
// security context the example asks for: the same user, capability bounding set, ambient set and
// no_new_privs, set up with setpriv(1), with a real client fetching a page from a reserved port.
#include <doctest/doctest.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "packaging_support.h"

using namespace packaging;

namespace {

// The records the python helpers print: fields joined by sep (an empty text has none).
std::vector<std::string> fieldsOf(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string x; std::getline(in, x, sep);) out.push_back(x);
  return out;
}

std::string examples() { return projectDir() + "/examples"; }

// The directory of this test's own cgroup v2: the cgroup2 mount point (proc(5) mountinfo, field
// 5) joined with the "0::" line of /proc/self/cgroup.
std::string ownCgroupDir() {
  std::string mount, path;
  std::istringstream info(slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(info, line);) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos || line.compare(sep + 3, 8, "cgroup2 ") != 0) continue;
    std::istringstream fields(line.substr(0, sep));
    std::string f;
    for (int i = 0; i < 5 && fields >> f; ++i) mount = f;
    break;
  }
  std::istringstream cg(slurp("/proc/self/cgroup"));
  for (std::string line; std::getline(cg, line);)
    if (line.starts_with("0::")) path = line.substr(3);
  return mount + (path == "/" ? "" : path);
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "CAP_SETUID" or "SETUID" -> "setuid", as setpriv(1) spells it.
std::string capName(const std::string& name) {
  std::string n = lower(name);
  return n.rfind("cap_", 0) == 0 ? n.substr(4) : n;
}

std::string capList(const std::vector<std::string>& caps) {
  std::string out = "-all";
  for (const auto& c : caps) out += ",+" + capName(c);
  return out;
}

// The [Service] keys of a unit file: key -> every value given, in order.
std::map<std::string, std::vector<std::string>> serviceKeys(const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(slurp(path));
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line;
      continue;
    }
    auto eq = line.find('=');
    if (section == "[Service]" && eq != std::string::npos)
      out[line.substr(0, eq)].push_back(line.substr(eq + 1));
  }
  return out;
}

// ${NAME} -> env[NAME], as systemd expands ExecStart= words (systemd.service(5)).
std::string expand(std::string word, const std::map<std::string, std::string>& env) {
  for (const auto& [name, value] : env) {
    std::string ref = "${" + name + "}";
    for (size_t at; (at = word.find(ref)) != std::string::npos;)
      word.replace(at, ref.size(), value);
  }
  return word;
}

// The lines a Python script prints about an example file: PyYAML reads the YAML examples.
std::vector<std::string> pythonLines(const char* script, const std::string& file) {
  auto r = run({python(), "-c", script, file});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Context {
  std::string user, group;            // empty: stay root
  std::vector<std::string> bounding;  // capability bounding set
  std::vector<std::string> ambient;   // ambient (and inheritable) set
  bool noNewPrivs = false;
};

// The supplementary groups a process of uid gets from initgroups(3) (setpriv --init-groups) and
// from privbind: the passwd user's group list with gid, or gid alone for a uid with no entry.
std::vector<gid_t> groupsOf(uid_t uid, gid_t gid) {
  struct passwd* pw = getpwuid(uid);
  if (!pw) return {gid};
  int n = 256;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  REQUIRE(getgrouplist(pw->pw_name, gid, groups.data(), &n) >= 0);
  groups.resize(static_cast<size_t>(n));
  return groups;
}

// The credentials of a server that holds CAP_NET_BIND_SERVICE as its only, ambient, capability
// (caps mode, AmbientCapabilities=), or none at all (broker mode).
Credentials serverCredentials(uid_t uid, gid_t gid, bool ambientNetBind) {
  const uint64_t caps = ambientNetBind ? kNetBind : 0;
  return Credentials{.uid = uid,
                     .gid = gid,
                     .groups = groupsOf(uid, gid),
                     .inh = caps,
                     .prm = caps,
                     .eff = caps,
                     .amb = caps,
                     .bnd = caps};
}

// Runs argv inside ctx on the host, waits for it to serve port on 127.0.0.1, fetches a page with a
// real client, and checks the server's full credential state against want.
void serveInContext(const Context& ctx, const std::vector<std::string>& argv, uint16_t port,
                    const std::string& expectedPage, const Credentials& want) {
  std::vector<std::string> cmd = {"setpriv"};
  if (!ctx.user.empty()) {
    cmd.push_back("--reuid=" + ctx.user);
    cmd.push_back("--regid=" + ctx.group);
    cmd.push_back("--init-groups");
  }
  if (!ctx.ambient.empty()) {
    cmd.push_back("--inh-caps=" + capList(ctx.ambient));
    cmd.push_back("--ambient-caps=" + capList(ctx.ambient));
  }
  cmd.push_back("--bounding-set=" + capList(ctx.bounding));
  if (ctx.noNewPrivs) cmd.push_back("--no-new-privs");
  cmd.push_back("--");
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  std::string shown;
  for (const auto& a : cmd) shown += a + " ";
  INFO("running: " << shown);
  Process server(cmd);
  bool up = waitForTcp("127.0.0.1", port);
  INFO("stderr: " << server.err());
  REQUIRE(up);
  std::string page = httpGet("127.0.0.1", port, "/index.html");
  CHECK(contains(page, " 200 "));
  CHECK(contains(page, expectedPage));
  expectCredentials(server.pid(), want);
  server.kill(15);
  server.wait();
}

const std::vector<std::string> kPrivbindCaps = {"SETUID", "SETGID", "SETPCAP", "NET_BIND_SERVICE"};

struct Page {
  TempDir dir;
  std::string text = "example page " + std::to_string(getpid());
  Page() { std::ofstream(dir / "index.html") << text << "\n"; }
};

// Container command lines use port 80 on every address and /srv/www; the host run uses a free
// reserved port on 127.0.0.1 and a scratch directory.
std::vector<std::string> forHost(std::vector<std::string> argv, uint16_t port,
                                 const std::string& docroot) {
  for (auto& a : argv) {
    if (a == "80") a = std::to_string(port);
    if (a == "::") a = "127.0.0.1";
    if (a == "/srv/www") a = docroot;
    if (a == "/usr/sbin/privbind") a = privbindPath();
  }
  return argv;
}

}  // namespace

TEST_SUITE("packaging_examples") {

TEST_CASE("systemd-analyze verify accepts every example unit") {
  if (run({"sh", "-c", "command -v systemd-analyze"}).status != 0) {
    SKIP_TEST(
        "systemd-analyze is not installed (the systemd package has it; "
        "scripts/bootstrap installs it)");
  }
  // verify checks that ExecStart's program exists and that Documentation=man: pages resolve, so
  // it runs against a scratch root holding privbind where the units expect it, and finds the
  // man page through MANPATH. The host's own units (sysinit.target...) are linked in.
  TempDir root;
  REQUIRE(sh("set -e; cd " + quote(root.path()) +
             "; mkdir -p usr/sbin usr/bin usr/lib/systemd etc/systemd/system man/man8"
             "; ln -s /usr/lib/systemd/system usr/lib/systemd/system"
             "; cp " +
             quote(privbindPath()) +
             " usr/sbin/privbind"
             "; cp /usr/bin/python3 usr/bin/python3"
             "; cp " +
             quote(projectDir() + "/docs/privbind.8") + " man/man8/")
              .status == 0);
  int units = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples() + "/systemd")) {
    if (entry.path().extension() != ".service") continue;
    ++units;
    std::string name = entry.path().filename().string();
    CAPTURE(name);
    std::filesystem::copy_file(entry.path(), root / "etc/systemd/system/" + name);
    auto r = run({"env", "MANPATH=" + root / "man", "systemd-analyze", "verify",
                  "--root=" + root.path(), name});
    CHECK(r.status == 0);
    // Warnings (unknown keys, bad values) leave the status at 0 but name the unit.
    std::istringstream lines(r.out + r.err);
    std::string line;
    while (std::getline(lines, line)) {
      CAPTURE(line);
      CHECK_FALSE(contains(line, name));
    }
  }
  CHECK(units == 4);
}

TEST_CASE("each systemd unit's ExecStart serves a real client in the unit's security context") {
  for (const char* unit :
       {"web-privbind-broker.service", "web-privbind-caps.service", "web-ambient.service"}) {
    CAPTURE(unit);
    auto keys = serviceKeys(examples() + "/systemd/" + unit);
    REQUIRE(keys["ExecStart"].size() == 1);
    Page page;
    uint16_t port = freeReservedPort();
    // The unit's Environment=, with the drop-in a test machine needs.
    std::map<std::string, std::string> env;
    for (const auto& line : keys["Environment"])
      for (const auto& kv : words(line))
        env[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    REQUIRE(env.count("PORT"));
    env["PORT"] = std::to_string(port);
    env["ADDRESS"] = "127.0.0.1";
    env["DOCROOT"] = page.dir.path();

    std::vector<std::string> argv;
    for (const auto& w : words(keys["ExecStart"][0])) argv.push_back(expand(w, env));
    Context ctx;
    if (!keys["User"].empty()) {
      ctx.user = keys["User"][0];
      ctx.group = keys["Group"].empty() ? ctx.user : keys["Group"][0];
    }
    ctx.bounding = words(keys["CapabilityBoundingSet"].at(0));
    if (!keys["AmbientCapabilities"].empty()) ctx.ambient = words(keys["AmbientCapabilities"][0]);
    ctx.noNewPrivs = keys["NoNewPrivileges"] == std::vector<std::string>{"yes"};
    CHECK(ctx.noNewPrivs);

    bool viaPrivbind = argv[0] == "/usr/sbin/privbind";
    if (viaPrivbind) {
      CHECK(ctx.user.empty());  // privbind starts as root and drops by itself
      CHECK(ctx.bounding == std::vector<std::string>{"CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP",
                                                     "CAP_NET_BIND_SERVICE"});
      argv[0] = privbindPath();
    }
    struct passwd* pw = getpwnam("www-data");
    REQUIRE_MESSAGE(pw != nullptr, "the units run as www-data (base-passwd has it)");
    const bool broker = std::string(unit) == "web-privbind-broker.service";
    serveInContext(ctx, argv, port, page.text, serverCredentials(pw->pw_uid, pw->pw_gid, !broker));
  }
}

TEST_CASE("kubernetes.yaml parses, and no pod runs its server as root") {
  // One line per pod: name, runAsUser, allowPrivilegeEscalation, added capabilities, sysctls,
  // then command and args, fields separated by \x1f and words by \x1e.
  const char* script = R"(
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
for d in docs:
    assert d["apiVersion"] == "v1" and d["kind"] == "Pod", d
    spec = d["spec"]
    (c,) = spec["containers"]
    sc = c["securityContext"]
    sysctls = [s["name"] + "=" + s["value"] for s in spec.get("securityContext", {}).get("sysctls", [])]
    fields = [d["metadata"]["name"], str(sc["runAsUser"]), str(sc["allowPrivilegeEscalation"]),
              "\x1e".join(sc["capabilities"]["add"]), "\x1e".join(sc["capabilities"]["drop"]),
              "\x1e".join(sysctls), "\x1e".join(c.get("command", []) + c.get("args", []))]
    print("\x1f".join(fields))
)";
  int pods = 0;
  for (const std::string& line : pythonLines(script, examples() + "/containers/kubernetes.yaml")) {
    ++pods;
    std::vector<std::string> f = fieldsOf(line, '\x1f');
    REQUIRE(f.size() == 7);
    CAPTURE(f[0]);
    auto add = fieldsOf(f[3], '\x1e');
    auto argv = fieldsOf(f[6], '\x1e');
    CHECK(fieldsOf(f[4], '\x1e') == std::vector<std::string>{"ALL"});
    CHECK(std::find(add.begin(), add.end(), "NET_BIND_SERVICE") != add.end());
    CHECK(f[2] == "False");
    REQUIRE_FALSE(argv.empty());
    if (argv[0] == "/usr/sbin/privbind") {
      // privbind starts as the container's root with exactly what it needs, and drops to 10001.
      CHECK(f[1] == "0");
      CHECK(add == kPrivbindCaps);
      CHECK(std::find(argv.begin(), argv.end(), "10001") != argv.end());
    } else {
      CHECK(f[1] == "10001");
      CHECK(f[5] == "net.ipv4.ip_unprivileged_port_start=80");
    }
  }
  CHECK(pods == 3);
}

TEST_CASE("each privbind pod's command serves a real client with the pod's capabilities") {
  const char* script = R"(
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    (c,) = d["spec"]["containers"]
    argv = c.get("command", []) + c.get("args", [])
    if argv[0] == "/usr/sbin/privbind":
        print("\x1e".join(argv))
)";
  int pods = 0;
  for (const std::string& line : pythonLines(script, examples() + "/containers/kubernetes.yaml")) {
    ++pods;
    std::vector<std::string> argv = fieldsOf(line, '\x1e');
    bool caps = std::find(argv.begin(), argv.end(), "caps") != argv.end();
    CAPTURE(caps);
    Page page;
    uint16_t port = freeReservedPort();
    Context ctx;
    ctx.bounding = kPrivbindCaps;
    ctx.noNewPrivs = true;  // allowPrivilegeEscalation: false
    serveInContext(ctx, forHost(argv, port, page.dir.path()), port, page.text,
                   serverCredentials(10001, 10001, caps));
  }
  CHECK(pods == 2);
}

TEST_CASE("the Dockerfile is well formed and its ENTRYPOINT + CMD serve a real client") {
  static const std::vector<std::string> kInstructions = {
      "FROM",        "RUN",        "COPY",   "ADD",   "USER",       "WORKDIR",
      "EXPOSE",      "ENV",        "ARG",    "LABEL", "ENTRYPOINT", "CMD",
      "HEALTHCHECK", "STOPSIGNAL", "VOLUME", "SHELL", "ONBUILD"};
  std::istringstream in(slurp(examples() + "/containers/Dockerfile"));
  std::string line, pending;
  std::vector<std::pair<std::string, std::string>> instructions;  // (INSTRUCTION, rest)
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(' ');
    if (pending.empty() && (first == std::string::npos || line[first] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    pending += line;
    auto ws = words(pending);
    auto space = pending.find(' ');
    instructions.emplace_back(ws.at(0),
                              space == std::string::npos ? "" : pending.substr(space + 1));
    pending.clear();
  }
  CHECK(pending.empty());  // no dangling continuation
  REQUIRE_FALSE(instructions.empty());
  CHECK(instructions[0].first == "FROM");
  auto jsonArray = [&](const std::string& text) {
    auto r = run({python(), "-c",
                  "import json,sys\nv=json.loads(sys.argv[1])\n"
                  "assert isinstance(v,list) and all(isinstance(x,str) for x in v)\n"
                  "print('\\x1e'.join(v))",
                  text});
    std::vector<std::string> out;
    CHECK_MESSAGE(r.status == 0, text);
    std::string s = r.out.substr(0, r.out.empty() ? 0 : r.out.size() - 1);
    std::istringstream parts(s);
    for (std::string x; std::getline(parts, x, '\x1e');) out.push_back(x);
    return out;
  };
  std::vector<std::string> entrypoint, cmd;
  std::string debName = std::string("privbind_") + PRIVBIND_TEST_VERSION + "_amd64.deb";
  bool copiesDeb = false;
  for (const auto& instruction : instructions) {
    // Named references, not a structured binding: CAPTURE's lambda cannot capture a binding
    // before clang 16.
    const auto& ins = instruction.first;
    const auto& rest = instruction.second;
    CAPTURE(ins);
    CHECK(std::find(kInstructions.begin(), kInstructions.end(), ins) != kInstructions.end());
    if (ins == "RUN") CHECK(run({"sh", "-n", "-c", rest}).status == 0);
    if (ins == "ENTRYPOINT") entrypoint = jsonArray(rest);
    if (ins == "CMD") cmd = jsonArray(rest);
    // COPY's source matches what scripts/build-deb produces.
    if (ins == "COPY" && fnmatch(words(rest).at(0).c_str(), debName.c_str(), 0) == 0)
      copiesDeb = true;
  }
  CHECK(copiesDeb);
  REQUIRE_FALSE(entrypoint.empty());
  REQUIRE_FALSE(cmd.empty());
  CHECK(entrypoint[0] == "/usr/sbin/privbind");

  // docker run --cap-drop=ALL --cap-add=SETUID,SETGID,SETPCAP,NET_BIND_SERVICE
  //            --security-opt=no-new-privileges (the README's command line)
  Page page;
  uint16_t port = freeReservedPort();
  std::vector<std::string> argv = entrypoint;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  Context ctx;
  ctx.bounding = kPrivbindCaps;
  ctx.noNewPrivs = true;
  serveInContext(ctx, forHost(argv, port, page.dir.path()), port, page.text,
                 serverCredentials(10001, 10001, false));
}

TEST_CASE("the sysvinit script: start, a real client, status, stop, status, for real") {
  if (!exists("/lib/lsb/init-functions") || !exists("/sbin/start-stop-daemon")) {
    SKIP_TEST("no /lib/lsb/init-functions or start-stop-daemon (sysvinit-utils, dpkg)");
  }
  const std::string script = examples() + "/debian/web-privbind.init";
  CHECK(run({"sh", "-n", script}).status == 0);
  if (run({"sh", "-c", "command -v shellcheck"}).status == 0) {
    auto lint = run({"shellcheck", "-s", "sh", script});
    CHECK_MESSAGE(lint.status == 0, lint.out);
  }
  // The script as /etc/default/web-privbind would set it on a test machine: a free reserved port
  // on 127.0.0.1, a scratch page, a pid file here, this build's privbind.
  Page page;
  TempDir dir;
  uint16_t port = freeReservedPort();
  const std::string pidfile = dir / "web.pid";
  std::string text = slurp(script);
  auto set = [&](const std::string& line, const std::string& value) {
    auto at = text.find("\n" + line + "\n");
    REQUIRE_MESSAGE(at != std::string::npos, line);
    text.replace(at + 1, line.size(), line.substr(0, line.find('=') + 1) + value);
  };
  set("PORT=80", std::to_string(port));
  set("ADDRESS=::", "127.0.0.1");
  set("DOCROOT=/var/www/html", page.dir.path());
  set("PIDFILE=/run/$NAME.pid", pidfile);
  set("PRIVBIND=/usr/sbin/privbind", privbindPath());
  REQUIRE(contains(text, "[ -r /etc/default/$NAME ]"));
  text.replace(text.find("/etc/default/$NAME ]"), 18, dir / "no-such-default");
  text.replace(text.find("/etc/default/$NAME\n"), 18, dir / "no-such-default");
  const std::string copy = dir / "web-privbind";
  std::ofstream(copy) << text;
  REQUIRE(chmod(copy.c_str(), 0755) == 0);

  // As an init system or `service` runs it: its output read to the end, in a few seconds.
  auto start = std::chrono::steady_clock::now();
  RunResult started = runPipedStderr({copy, "start"}, 20s);
  CHECK_FALSE(started.timedOut);
  CHECK_MESSAGE(started.status == 0, started.out << started.err);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  REQUIRE(eventually([&] { return !slurp(pidfile).empty(); }, 5s));
  const pid_t pid = static_cast<pid_t>(std::stol(slurp(pidfile)));
  struct Stop {
    pid_t pid;
    ~Stop() {
      if (slurp("/proc/" + std::to_string(pid) + "/cmdline").find("http.server") !=
          std::string::npos)
        ::kill(pid, SIGKILL);
    }
  } stop{pid};
  REQUIRE(waitForTcp("127.0.0.1", port));
  std::string got = httpGet("127.0.0.1", port, "/index.html");
  CHECK(contains(got, " 200 "));
  CHECK(contains(got, page.text));
  // The recorded pid is the server's: privbind exec'd it in place, as www-data, no capability.
  struct passwd* pw = getpwnam("www-data");
  REQUIRE(pw != nullptr);
  CHECK(contains(slurp("/proc/" + std::to_string(pid) + "/cmdline"), "http.server"));
  expectCredentials(pid, serverCredentials(pw->pw_uid, pw->pw_gid, false));
  CHECK(run({copy, "status"}).status == 0);
  auto stopped = run({copy, "stop"}, 20s);
  CHECK_MESSAGE(stopped.status == 0, stopped.out << stopped.err);
  CHECK(eventually([&] { return !exists("/proc/" + std::to_string(pid)); }, 10s));
  CHECK_FALSE(exists(pidfile));
  CHECK(run({copy, "status"}).status == 3);  // LSB: not running
  CHECK_FALSE(waitForTcp("127.0.0.1", port, 200ms));
}

TEST_CASE("the nginx drop-in: verified with Debian's nginx.service, its commands serve for real") {
  const std::string unit = "/usr/lib/systemd/system/nginx.service";
  if (!exists(unit) || !exists("/usr/sbin/nginx") ||
      run({"sh", "-c", "command -v systemd-analyze"}).status != 0) {
    SKIP_TEST("nginx (nginx-light) or systemd-analyze is not installed (scripts/bootstrap)");
  }
  if (auto why = testsupport::cgroupModeUnavailable()) {
    SKIP_TEST("the drop-in uses cgroup mode, which this host cannot do: " + *why);
  }
  const std::string dropIn = examples() + "/debian/nginx-privbind.conf";
  // 1. systemd-analyze verify: Debian's own unit with the drop-in, in a scratch root that holds
  //    the programs the unit names.
  TempDir root;
  REQUIRE(sh("set -e; cd " + quote(root.path()) +
             "; mkdir -p usr/sbin usr/bin bin sbin usr/lib/systemd"
             " etc/systemd/system/nginx.service.d man/man8"
             // The host's units, nginx.service among them, and the targets it needs.
             "; ln -s /usr/lib/systemd/system usr/lib/systemd/system"
             "; test -e usr/lib/systemd/system/nginx.service"
             "; cp " +
             quote(privbindPath()) +
             " usr/sbin/privbind"
             "; cp /usr/sbin/nginx usr/sbin/; cp /usr/bin/install usr/bin/; cp /bin/kill bin/"
             "; cp /sbin/start-stop-daemon sbin/"
             "; cp " +
             quote(dropIn) +
             " etc/systemd/system/nginx.service.d/privbind.conf"
             "; cp /usr/share/man/man8/nginx.8.gz " +
             quote(projectDir() + "/docs/privbind.8") + " man/man8/")
              .status == 0);
  auto verify = run({"env", "MANPATH=" + root / "man", "systemd-analyze", "verify",
                     "--root=" + root.path(), "nginx.service"});
  CHECK_MESSAGE(verify.status == 0, verify.out << verify.err);
  {
    std::istringstream lines(verify.out + verify.err);
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      CHECK_FALSE(contains(line, "nginx.service"));
      CHECK_FALSE(contains(line, "privbind.conf"));
    }
  }

  // 2. The drop-in's commands, as systemd would run them after it: the last ExecStartPre= and
  //    ExecStart= lists (an empty value resets), split as systemd splits them (shlex will do for
  //    these lines), with the host's paths moved to scratch ones and a test configuration.
  auto keys = serviceKeys(dropIn);
  auto list = [&](const std::string& key) {
    std::vector<std::string> out;
    for (const auto& v : keys[key])
      if (v.empty())
        out.clear();
      else
        out.push_back(v);
    return out;
  };
  auto pre = list("ExecStartPre"), start = list("ExecStart");
  REQUIRE(pre.size() == 2);
  REQUIRE(start.size() == 1);
  CHECK(list("User").empty());  // privbind starts as root
  CHECK(keys["Delegate"] == std::vector<std::string>{"yes"});
  TempDir scratch;
  Page page;
  const uint16_t p1 = freeReservedPort();
  uint16_t p2 = freeReservedPort();
  while (p2 == p1) p2 = freeReservedPort();
  const std::string conf = scratch / "nginx.conf";
  {
    // Debian's temporary directories (/var/lib/nginx/...) become the scratch ones.
    std::ofstream out(conf);
    out << "error_log stderr warn;\nevents { worker_connections 32; }\nhttp {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
      out << "  " << t << "_temp_path " << scratch / "lib"
          << "/" << t << ";\n";
    out << "  server { listen 127.0.0.1:" << p1 << "; listen [::1]:" << p1
        << "; listen 127.0.0.1:" << p2 << "; root " << page.dir.path() << "; }\n}\n";
  }
  auto split = [&](std::string line) {
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"/run/nginx", scratch / "run"},
             {"/var/lib/nginx", scratch / "lib"},
             {"80,443", std::to_string(p1) + "," + std::to_string(p2)},
             {"/usr/sbin/privbind", privbindPath()},
             {"/usr/sbin/nginx", "/usr/sbin/nginx -c " + conf + " -p " + scratch / "lib"}})
      for (size_t at = 0; (at = line.find(from, at)) != std::string::npos; at += to.size())
        line.replace(at, from.size(), to);
    auto r = run(
        {python(), "-c", "import shlex,sys; print('\\x1e'.join(shlex.split(sys.argv[1])))", line});
    REQUIRE(r.status == 0);
    return fieldsOf(r.out.substr(0, r.out.size() - 1), '\x1e');
  };
  // "+": full privileges; it makes the directories www-data's.
  REQUIRE(pre[0][0] == '+');
  auto prepared = run(split(pre[0].substr(1)));
  REQUIRE_MESSAGE(prepared.status == 0, prepared.err);
  struct passwd* pw = getpwnam("www-data");
  REQUIRE(pw != nullptr);
  struct stat st {};
  REQUIRE(stat((scratch / "run").c_str(), &st) == 0);
  CHECK(st.st_uid == pw->pw_uid);
  // The rest in the drop-in's context (bounding set, no_new_privs), in a cgroup of its own that is
  // 0755 like a delegated service's (the host's cgroup2 root may be 0555).
  const std::string cg = ownCgroupDir() + "/pbt-nginx-" + std::to_string(getpid());
  REQUIRE(mkdir(cg.c_str(), 0755) == 0);
  struct RemoveCgroup {
    std::string path;
    ~RemoveCgroup() {
      for (int i = 0; i < 100 && rmdir(path.c_str()) != 0 && errno == EBUSY; ++i) usleep(50000);
    }
  } removeCg{cg};
  auto inService = [&](std::vector<std::string> argv) {
    std::vector<std::string> out = {"/bin/sh", "-c", "echo $$ > \"$0\"/cgroup.procs && exec \"$@\"",
                                    cg};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  };
  Context ctx;
  ctx.bounding = words(keys["CapabilityBoundingSet"].at(0));
  ctx.noNewPrivs = keys["NoNewPrivileges"] == std::vector<std::string>{"yes"};
  CHECK(ctx.noNewPrivs);
  std::vector<std::string> test = {"setpriv", "--bounding-set=" + capList(ctx.bounding),
                                   "--no-new-privs", "--"};
  for (const auto& w : inService(split(pre[1]))) test.push_back(w);
  auto checked = run(test);
  CHECK_MESSAGE(checked.status == 0, checked.err);
  serveInContext(ctx, inService(split(start[0])), p1, page.text,
                 serverCredentials(pw->pw_uid, pw->pw_gid, false));
}

}  // TEST_SUITE("packaging_examples")
