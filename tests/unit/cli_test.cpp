// The command line, driven from argv vectors; the help, the man page and the bash completion held
// against the option table.
#include "cli/cli.h"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "doctor/options.h"
#include "grants/options.h"

using privbind::Mode;
using privbind::cli::Action;
using privbind::cli::parse;
using privbind::cli::validate;

namespace {

std::string errorOf(const std::vector<std::string>& args) {
  auto r = parse(args);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().isUsage());
  CHECK(r.error().exitCode() == 125);
  return r.error().message();
}

privbind::LaunchOptions ok(const std::vector<std::string>& args) {
  auto r = parse(args);
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  REQUIRE(r->action == Action::kRun);
  return r->options;
}

std::string slurp(const std::string& relative) {
  std::ifstream in(std::string(PRIVBIND_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "-u --user" style spellings of a table.
template <class Table>
std::set<std::string> spellings(const Table& table, bool withValue, bool flags) {
  std::set<std::string> out;
  for (const auto& o : table) {
    if (o.takesValue ? !withValue : !flags) continue;
    if (o.shortName) out.insert(std::string("-") + o.shortName);
    out.insert("--" + o.longName);
  }
  return out;
}

// Every spelling of an option on the .TP lines of one man page section, with groff's "\-"
// turned back into "-".
std::set<std::string> manOptions(const std::string& man, const std::string& from,
                                 const std::string& to) {
  auto start = man.find(from);
  auto end = man.find(to, start);
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::istringstream lines(man.substr(start, end - start));
  std::set<std::string> out;
  std::string line;
  bool tagLine = false;
  static const std::regex option(R"(\\-(\\-[a-z][a-z\\-]*|[A-Za-z])\b)");
  while (std::getline(lines, line)) {
    if (tagLine) {
      for (std::sregex_iterator it(line.begin(), line.end(), option), e; it != e; ++it) {
        std::string o = std::regex_replace(it->str(), std::regex(R"(\\-)"), "-");
        out.insert(o);
      }
    }
    tagLine = line == ".TP";
  }
  return out;
}

// The words of a bash array ("local -a name=(...)") or string ("local name='...'").
std::set<std::string> bashWords(const std::string& script, const std::string& name) {
  std::smatch m;
  std::regex array("local -a " + name + R"(=\(([^)]*)\))");
  std::regex text("local " + name + "='([^']*)'");
  std::string words;
  if (std::regex_search(script, m, array) || std::regex_search(script, m, text)) words = m[1];
  REQUIRE_MESSAGE(!words.empty(), name);
  std::istringstream in(words);
  std::set<std::string> out;
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

}  // namespace

TEST_CASE("classic invocation: -u user command; auto is the default mode") {
  auto o = ok({"-u", "app", "java", "-jar", "x.jar"});
  CHECK(o.user == "app");
  CHECK(o.mode == Mode::kAuto);
  CHECK(o.modeReason.empty());
  CHECK(o.command == std::vector<std::string>{"java", "-jar", "x.jar"});
}

TEST_CASE("parsing stops at the first non-option") {
  auto o = ok({"-u", "app", "java", "-jar", "x.jar", "-u", "foo"});
  CHECK(o.user == "app");
  CHECK(o.command == std::vector<std::string>{"java", "-jar", "x.jar", "-u", "foo"});
  // "-" alone is an operand, as for getopt.
  CHECK(ok({"-u", "app", "-", "x"}).command == std::vector<std::string>{"-", "x"});
}

TEST_CASE("-- ends the options, even before a word that looks like one") {
  CHECK(ok({"-u", "app", "--", "-weird", "arg"}).command ==
        std::vector<std::string>{"-weird", "arg"});
  CHECK(ok({"-u", "app", "--", "--"}).command == std::vector<std::string>{"--"});
}

TEST_CASE("long, attached and clustered forms") {
  auto o = ok({"--user=app", "--group", "web", "-vG", "--mode=caps", "cmd"});
  CHECK(o.user == "app");
  CHECK(o.group == "web");
  CHECK(o.verbose);
  CHECK(o.noGroups);
  CHECK(o.mode == Mode::kCaps);
  auto o2 = ok({"-uapp", "-mcaps", "cmd"});
  CHECK(o2.user == "app");
  CHECK(o2.mode == Mode::kCaps);
  auto o3 = ok({"-vu", "app", "cmd"});
  CHECK(o3.user == "app");
  CHECK(o3.verbose);
  auto o4 = ok({"-Gvuapp", "cmd"});
  CHECK(o4.noGroups);
  CHECK(o4.user == "app");
}

TEST_CASE("every option, each value parsed") {
  auto o = ok({"-u",
               "app",
               "-g",
               "web",
               "-G",
               "-m",
               "broker",
               "--allow-setuid",
               "--keep-env",
               "-v",
               "-p",
               "80,443,8000-8010",
               "-n",
               "2",
               "-r",
               "443",
               "-l",
               "/x/shim.so",
               "--no-target-check",
               "cmd"});
  CHECK(o.user == "app");
  CHECK(o.group == "web");
  CHECK(o.noGroups);
  CHECK(o.mode == Mode::kBroker);
  CHECK(o.allowSetuid);
  CHECK(o.keepEnv);
  CHECK(o.verbose);
  REQUIRE(o.ports.has_value());
  CHECK(o.ports->toString() == "80,443,8000-8010");
  CHECK(o.ports->contains(8005));
  CHECK_FALSE(o.ports->contains(81));
  REQUIRE(o.binds.has_value());
  CHECK(*o.binds == 2);
  REQUIRE(o.reuseport.has_value());
  CHECK(o.reuseport->toString() == "443");
  CHECK(o.preload == "/x/shim.so");
  CHECK(o.noTargetCheck);
  // Negative control: nothing set when nothing is given.
  auto none = ok({"-u", "app", "cmd"});
  CHECK_FALSE(none.noGroups);
  CHECK_FALSE(none.allowSetuid);
  CHECK_FALSE(none.keepEnv);
  CHECK_FALSE(none.verbose);
  CHECK_FALSE(none.noTargetCheck);
  CHECK_FALSE(none.ports.has_value());
  CHECK_FALSE(none.binds.has_value());
  CHECK_FALSE(none.reuseport.has_value());
  CHECK(none.preload.empty());
  CHECK(none.group.empty());
}

TEST_CASE("every mode name") {
  CHECK(ok({"-m", "auto", "-u", "a", "c"}).mode == Mode::kAuto);
  CHECK(ok({"-m", "cgroup", "-u", "a", "c"}).mode == Mode::kCgroup);
  CHECK(ok({"-m", "broker", "-u", "a", "c"}).mode == Mode::kBroker);
  CHECK(ok({"-m", "caps", "-u", "a", "c"}).mode == Mode::kCaps);
  CHECK(privbind::cli::modeNames() == std::vector<std::string>{"auto", "cgroup", "broker", "caps"});
}

TEST_CASE("mode rules: -p, -n, -r in broker, cgroup and auto; -l, --no-target-check broker only") {
  const std::vector<std::vector<std::string>> limits = {{"-p", "80"}, {"-n", "1"}, {"-r", "80"}};
  const std::vector<std::vector<std::string>> brokerOnly = {{"-l", "/x.so"}, {"--no-target-check"}};
  auto with = [](std::string mode, const std::vector<std::string>& opt) {
    std::vector<std::string> args = {"-u", "app"};
    if (!mode.empty()) args.insert(args.end(), {"-m", mode});
    args.insert(args.end(), opt.begin(), opt.end());
    args.push_back("cmd");
    return args;
  };
  for (const auto& opt : limits) {
    CAPTURE(opt[0]);
    CHECK(ok(with("broker", opt)).mode == Mode::kBroker);
    CHECK(ok(with("cgroup", opt)).mode == Mode::kCgroup);
    CHECK(ok(with("", opt)).mode == Mode::kAuto);  // a limit does not choose the mode
    CHECK(errorOf(with("caps", opt)).find(": not in caps mode: ") != std::string::npos);
  }
  for (const auto& opt : brokerOnly) {
    CAPTURE(opt[0]);
    CHECK(ok(with("broker", opt)).mode == Mode::kBroker);
    auto chosen = ok(with("", opt));
    CHECK(chosen.mode == Mode::kBroker);  // auto picks broker
    CHECK(chosen.modeReason.find("is a broker-mode option") != std::string::npos);
    CHECK(ok(with("auto", opt)).mode == Mode::kBroker);
    CHECK(errorOf(with("cgroup", opt)).find(": broker mode only: ") != std::string::npos);
    CHECK(errorOf(with("caps", opt)).find(": not in caps mode: ") != std::string::npos);
  }
  CHECK(errorOf({"-m", "caps", "-u", "a", "-p", "80", "cmd"}) ==
        "-p/--ports: not in caps mode: the command holds CAP_NET_BIND_SERVICE itself, so there "
        "is no helper or kernel policy to limit and no library to load");
  CHECK(errorOf({"--no-target-check", "-m", "cgroup", "-u", "a", "cmd"}) ==
        "--no-target-check: broker mode only: cgroup mode preloads no library, the kernel "
        "grants the binds for any program");
  // The table says the same.
  for (const auto& o : privbind::cli::optionTable()) {
    CAPTURE(o.longName);
    bool limit = o.longName == "ports" || o.longName == "binds" || o.longName == "reuseport";
    bool broker = o.longName == "preload" || o.longName == "no-target-check";
    using namespace privbind::cli;
    CHECK(o.modes == (limit    ? (kInBroker | kInCgroup)
                      : broker ? kInBroker
                               : (kInBroker | kInCgroup | kInCaps)));
  }
}

TEST_CASE("every mode name parses; -n, -p and -r work in cgroup mode") {
  for (auto [name, mode] : {std::pair{"auto", Mode::kAuto}, std::pair{"cgroup", Mode::kCgroup},
                            std::pair{"broker", Mode::kBroker}, std::pair{"caps", Mode::kCaps}}) {
    auto r = parse({"-m", name, "-u", "app", "cmd"});
    REQUIRE(r.ok());
    CHECK(r->options.mode == mode);
  }
  auto r = parse({"--mode=cgroup", "-u", "app", "-p", "80,443", "-n", "2", "-r", "443", "cmd"});
  REQUIRE(r.ok());
  CHECK(r->options.ports->toString() == "80,443");
  CHECK(*r->options.binds == 2u);
  CHECK(r->options.reuseport->toString() == "443");
}

TEST_CASE("the preload options are refused in cgroup mode, saying why") {
  CHECK(errorOf({"--mode=cgroup", "-u", "app", "-l", "/x.so", "cmd"})
            .starts_with("-l/--preload: broker mode only: cgroup mode preloads no library"));
  CHECK(errorOf({"-m", "cgroup", "--no-target-check", "-u", "app", "cmd"})
            .starts_with("--no-target-check: broker mode only: "));
  // auto takes them and chooses broker mode for them, saying why (for -v).
  auto r = parse({"-u", "app", "-l", "/x.so", "--no-target-check", "cmd"});
  REQUIRE(r.ok());
  CHECK(r->options.mode == Mode::kBroker);
  CHECK(r->options.modeReason.ends_with(" is a broker-mode option"));
}

TEST_CASE("duplicate options are refused precisely") {
  CHECK(errorOf({"-u", "a", "-u", "b", "cmd"}) == "-u/--user: given more than once");
  CHECK(errorOf({"-u", "a", "--user=b", "cmd"}) == "-u/--user: given more than once");
  CHECK(errorOf({"-v", "-v", "-u", "a", "cmd"}) == "-v/--verbose: given more than once");
  CHECK(errorOf({"-vv", "-u", "a", "cmd"}) == "-v/--verbose: given more than once");
  CHECK(errorOf({"-u", "a", "-m", "caps", "--mode", "broker", "cmd"}) ==
        "-m/--mode: given more than once");
  CHECK(errorOf({"-u", "a", "--keep-env", "--keep-env", "cmd"}) ==
        "--keep-env: given more than once");
}

TEST_CASE("no parser-library wording: each error names the option and says why") {
  CHECK(errorOf({"--mode=", "-u", "nobody", "--", "id"}) ==
        "-m/--mode: empty value; expected MODE");
  CHECK(errorOf({"--user=", "id"}) == "-u/--user: empty value; expected USER");
  CHECK(errorOf({"-u", "", "cmd"}) == "-u/--user: empty value; expected USER");
  CHECK(errorOf({"-u", "a", "-l", "", "cmd"}) == "-l/--preload: empty value; expected PATH");
  CHECK(errorOf({"-u", "a", "-g", "", "cmd"}) == "-g/--group: empty value; expected GROUP");
  CHECK(errorOf({"-m", "-u", "nobody", "id"}) ==
        "-m/--mode: needs a value (MODE), not the option -u");
  CHECK(errorOf({"-x", "-u", "a", "cmd"}) == "-x: unknown option");
  CHECK(errorOf({"-vx", "-u", "a", "cmd"}) == "-x: unknown option");
  CHECK(errorOf({"--frobnicate", "cmd"}) == "--frobnicate: unknown option");
  CHECK(errorOf({"--frob=1", "cmd"}) == "--frob: unknown option");
  CHECK(errorOf({"-u"}) == "-u/--user: needs a value (USER)");
  CHECK(errorOf({"-u", "a", "--ports"}) == "-p/--ports: needs a value (LIST)");
  CHECK(errorOf({"cmd"}) == "-u/--user: required: the user the command runs as");
  CHECK(errorOf({"-u", "a"}) == "COMMAND: missing: what should privbind run?");
  CHECK(errorOf({"-u", "a", "--"}) == "COMMAND: missing: what should privbind run?");
  CHECK(errorOf({"-u", "a", ""}) == "COMMAND: empty name");
  CHECK(errorOf({"-u", "a", "-m", "root", "cmd"}) ==
        "-m/--mode: 'root' is not a mode; expected auto, cgroup, broker or caps");
  CHECK(errorOf({"-u", "a", "-n", "0", "cmd"}) == "-n/--binds: '0' is not a whole number from 1");
  CHECK(errorOf({"-u", "a", "-n", "-3", "cmd"}) == "-n/--binds: '-3' is not a whole number from 1");
  CHECK(errorOf({"-u", "a", "-n", "abc", "cmd"}) ==
        "-n/--binds: 'abc' is not a whole number from 1");
  CHECK(errorOf({"-u", "a", "-n", "1234567890", "cmd"}).find("-n/--binds: ") == 0);
  CHECK(errorOf({"-u", "a", "-p", "70000", "cmd"}) ==
        "-p/--ports: port 70000 is out of range 1-65535 in '70000'");
  CHECK(errorOf({"-u", "a", "-r", "80,,443", "cmd"}) == "-r/--reuseport: empty item in '80,,443'");
  CHECK(errorOf({"-u", "a", "--verbose=yes", "cmd"}) == "-v/--verbose: takes no value");
  CHECK(errorOf({"-u", "a", "--no-target-check=1", "cmd"}) == "--no-target-check: takes no value");
}

TEST_CASE("conflicts: -r on a port that -p never lets bind") {
  CHECK(errorOf({"-u", "a", "-p", "80", "-r", "80,443", "cmd"}) ==
        "-r/--reuseport: 443 not in -p/--ports, so never bound");
  CHECK(ok({"-u", "a", "-p", "80,443", "-r", "443", "cmd"}).reuseport->toString() == "443");
}

TEST_CASE("validate: -p and -r name only reserved ports") {
  auto o = ok({"-u", "a", "-p", "80,1023-1025,2000", "cmd"});
  auto s = validate(o, 1024);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().isUsage());
  CHECK(s.error().message() ==
        "-p/--ports: 1024-1025,2000 are not reserved (net.ipv4.ip_unprivileged_port_start is "
        "1024): any user may bind them, privbind has nothing to grant");
  CHECK(validate(ok({"-u", "a", "-p", "2000", "cmd"}), 1024)
            .error()
            .message()
            .find("-p/--ports: 2000 is not reserved") == 0);
  CHECK(validate(ok({"-u", "a", "-r", "8080", "cmd"}), 1024)
            .error()
            .message()
            .find("-r/--reuseport: 8080 is not reserved") == 0);
  // The sysctl is read, not assumed: with a higher start the same list passes.
  CHECK(validate(o, 2001).ok());
  CHECK(validate(ok({"-u", "a", "cmd"}), 0).ok());
}

TEST_CASE("help, version and doctor") {
  auto h = parse({"--help"});
  REQUIRE(h.ok());
  CHECK(h->action == Action::kHelp);
  CHECK(parse({"-h"})->action == Action::kHelp);
  CHECK(parse({"-u", "a", "-m", "caps", "-p", "80", "--help"})->action == Action::kHelp);
  CHECK(parse({"-V"})->action == Action::kVersion);
  CHECK(privbind::cli::versionText().rfind("privbind ", 0) == 0);
  CHECK(errorOf({"--help", "--bogus"}) == "--bogus: unknown option");  // refused even with help
  auto d = parse({"doctor", "--json", "java"});
  REQUIRE(d.ok());
  CHECK(d->action == Action::kDoctor);
  CHECK(d->doctorArgs == std::vector<std::string>{"--json", "java"});
  // doctor after an option is COMMAND (and the launcher hints at "privbind doctor").
  CHECK(ok({"-u", "a", "doctor"}).command == std::vector<std::string>{"doctor"});
  for (auto word : {"grant", "revoke", "grants"}) {
    auto g = parse({word, "-u", "a"});
    REQUIRE(g.ok());
    CHECK(g->action == Action::kGrants);
    CHECK(g->grantsCommand == word);
    CHECK(g->grantsArgs == std::vector<std::string>{"-u", "a"});
  }
}

TEST_CASE("the table and --help are in step") {
  std::string help = privbind::cli::helpText();
  std::set<std::string> fromTable;
  for (const auto& o : privbind::cli::optionTable()) {
    std::string line =
        (o.shortName ? std::string("  -") + o.shortName + ", --" : "      --") + o.longName;
    CAPTURE(line);
    auto at = help.find("\n" + line + (o.takesValue ? " " : ""));
    CHECK(at != std::string::npos);
    CHECK(help.find("\n" + line, at + 1) == std::string::npos);  // once
    fromTable.insert(o.longName);
  }
  // No option line in the help that the table does not have.
  static const std::regex optionLine(R"(\n  (?:-[A-Za-z], |    )--([a-z-]+))");
  std::set<std::string> fromHelp;
  for (std::sregex_iterator it(help.begin(), help.end(), optionLine), e; it != e; ++it)
    fromHelp.insert((*it)[1]);
  CHECK(fromHelp == fromTable);
  for (const auto& m : privbind::cli::modeNames())
    CHECK(help.find("\n  " + m) != std::string::npos);
  for (auto word : {"doctor", "125", "126", "127", "WorkingDirectory="})
    CHECK_MESSAGE(help.find(word) != std::string::npos, word);
  CHECK(help.find("doctor: 0 no problem found, 1 problems found, 125 could not inspect") !=
        std::string::npos);
}

TEST_CASE("the man page documents exactly the options of the tables") {
  std::string man = slurp("docs/privbind.8");
  auto all = [](const auto& table) { return spellings(table, true, true); };
  CHECK(manOptions(man, "\n.SH OPTIONS", "\n.SH DOCTOR") == all(privbind::cli::optionTable()));
  CHECK(manOptions(man, "\n.SH DOCTOR", "\n.SH EXIT STATUS") ==
        all(privbind::doctor::optionTable()));
  for (const auto& m : privbind::cli::modeNames()) CHECK(man.find(".SS " + m) != std::string::npos);
  CHECK(man.find("man \\-l docs/privbind.8") != std::string::npos);
  // The standing grants' three commands share one section.
  std::set<std::string> grants;
  for (auto word : {"grant", "revoke", "grants"})
    for (const auto& s : all(privbind::grants::optionTable(word))) grants.insert(s);
  CHECK(manOptions(man, "\n.SH STANDING GRANTS", "\n.SH SECURITY") == grants);
}

TEST_CASE("the bash completion knows exactly the options of the tables") {
  std::string script = slurp("completions/privbind.bash");
  auto launcher = privbind::cli::optionTable();
  CHECK(bashWords(script, "with_value") == spellings(launcher, true, false));
  CHECK(bashWords(script, "flags") == spellings(launcher, false, true));
  auto modes = privbind::cli::modeNames();
  CHECK(bashWords(script, "modes") == std::set<std::string>(modes.begin(), modes.end()));
  auto doctor = privbind::doctor::optionTable();
  CHECK(bashWords(script, "doctor_with_value") == spellings(doctor, true, false));
  CHECK(bashWords(script, "doctor_flags") == spellings(doctor, false, true));
  for (auto word : {"grant", "revoke"}) {
    auto table = privbind::grants::optionTable(word);
    CHECK(bashWords(script, std::string(word) + "_with_value") == spellings(table, true, false));
    CHECK(bashWords(script, std::string(word) + "_flags") == spellings(table, false, true));
  }
  CHECK(bashWords(script, "grants_flags") ==
        spellings(privbind::grants::optionTable("grants"), false, true));
}
