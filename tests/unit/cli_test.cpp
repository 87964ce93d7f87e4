// The command line, driven from argv vectors.
#include <doctest/doctest.h>

#include "cli/cli.h"

using privbind::Mode;
using privbind::cli::Action;
using privbind::cli::parse;

namespace {

std::string errorOf(const std::vector<std::string>& args) {
  auto r = parse(args);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().isUsage());
  CHECK(r.error().exitCode() == 125);
  return r.error().message();
}

}  // namespace

TEST_CASE("classic invocation: -u user command") {
  auto r = parse({"-u", "app", "java", "-jar", "x.jar"});
  REQUIRE(r.ok());
  CHECK(r->action == Action::kRun);
  CHECK(r->options.user == "app");
  CHECK(r->options.mode == Mode::kAuto);
  CHECK(r->options.command == std::vector<std::string>{"java", "-jar", "x.jar"});
}

TEST_CASE("parsing stops at the first non-option") {
  auto r = parse({"-u", "app", "java", "-jar", "x.jar", "-u", "foo"});
  REQUIRE(r.ok());
  CHECK(r->options.user == "app");
  CHECK(r->options.command ==
        std::vector<std::string>{"java", "-jar", "x.jar", "-u", "foo"});
}

TEST_CASE("-- ends the options, even before a word that looks like one") {
  auto r = parse({"-u", "app", "--", "-weird", "arg"});
  REQUIRE(r.ok());
  CHECK(r->options.command == std::vector<std::string>{"-weird", "arg"});
}

TEST_CASE("long, attached and clustered forms") {
  auto r = parse({"--user=app", "--group", "web", "-vG", "--mode=caps", "cmd"});
  REQUIRE(r.ok());
  CHECK(r->options.user == "app");
  CHECK(r->options.group == "web");
  CHECK(r->options.verbose);
  CHECK(r->options.noGroups);
  CHECK(r->options.mode == Mode::kCaps);
  auto r2 = parse({"-uapp", "-mcaps", "cmd"});
  REQUIRE(r2.ok());
  CHECK(r2->options.user == "app");
  CHECK(r2->options.mode == Mode::kCaps);
  auto r3 = parse({"-vu", "app", "cmd"});
  REQUIRE(r3.ok());
  CHECK(r3->options.user == "app");
  CHECK(r3->options.verbose);
}

TEST_CASE("broker options are parsed and validated") {
  auto r = parse({"-u", "app", "-n", "2", "-l", "/x/shim.so", "-p", "80,443,8000-8010", "-r",
                  "443", "--no-target-check", "cmd"});
  REQUIRE(r.ok());
  const auto& o = r->options;
  REQUIRE(o.binds.has_value());
  CHECK(*o.binds == 2);
  CHECK(o.preload == "/x/shim.so");
  REQUIRE(o.ports.has_value());
  CHECK(o.ports->contains(80));
  CHECK(o.ports->contains(8005));
  CHECK_FALSE(o.ports->contains(81));
  CHECK(o.ports->toString() == "80,443,8000-8010");
  REQUIRE(o.reuseport.has_value());
  CHECK(o.reuseport->toString() == "443");
  CHECK(o.noTargetCheck);
}

TEST_CASE("broker-only options are refused in caps mode, saying why") {
  for (auto opt : std::vector<std::vector<std::string>>{{"-n", "1"},
                                                        {"-l", "/x.so"},
                                                        {"-p", "80"},
                                                        {"-r", "80"},
                                                        {"--no-target-check"}}) {
    std::vector<std::string> args = {"-m", "caps", "-u", "app"};
    args.insert(args.end(), opt.begin(), opt.end());
    args.push_back("cmd");
    std::string msg = errorOf(args);
    CHECK(msg.find("broker-mode option") != std::string::npos);
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
  CHECK(errorOf({"--mode=cgroup", "-u", "app", "-l", "/x.so", "cmd"}).starts_with(
      "-l/--preload: is a broker-mode option; cgroup mode loads no preload library"));
  CHECK(errorOf({"-m", "cgroup", "--no-target-check", "-u", "app", "cmd"})
            .starts_with("--no-target-check: is a broker-mode option"));
  // auto takes them: main chooses broker mode for them.
  auto r = parse({"-u", "app", "-l", "/x.so", "--no-target-check", "cmd"});
  REQUIRE(r.ok());
  CHECK(r->options.mode == Mode::kAuto);
}

TEST_CASE("duplicate options are refused precisely") {
  CHECK(errorOf({"-u", "a", "-u", "b", "cmd"}) == "-u/--user: given more than once");
  CHECK(errorOf({"-u", "a", "--user=b", "cmd"}) == "-u/--user: given more than once");
  CHECK(errorOf({"-v", "-v", "-u", "a", "cmd"}) == "-v/--verbose: given more than once");
  CHECK(errorOf({"-u", "a", "-m", "caps", "--mode", "broker", "cmd"}) ==
        "-m/--mode: given more than once");
}

TEST_CASE("bad input gets one precise message") {
  CHECK(errorOf({"-x", "-u", "a", "cmd"}) == "-x: unknown option");
  CHECK(errorOf({"--frobnicate", "cmd"}) == "--frobnicate: unknown option");
  CHECK(errorOf({"-u"}) == "-u/--user: needs a value");
  CHECK(errorOf({"cmd"}) == "-u/--user: required: the user the command runs as");
  CHECK(errorOf({"-u", "a"}) == "command: missing: what should privbind run?");
  CHECK(errorOf({"-u", "a", "-m", "root", "cmd"}) ==
        "-m/--mode 'root': expected 'auto', 'cgroup', 'broker' or 'caps'");
  CHECK(errorOf({"-u", "a", "-n", "0", "cmd"}) ==
        "-n/--binds '0': expected a whole number from 1");
  CHECK(errorOf({"-u", "a", "-n", "-3", "cmd"}).find("-n/--binds") == 0);
  CHECK(errorOf({"-u", "a", "-n", "abc", "cmd"}).find("-n/--binds") == 0);
  CHECK(errorOf({"-u", "a", "-p", "70000", "cmd"}) ==
        "port list '70000': port 70000 is out of range 1-65535");
  CHECK(errorOf({"-u", "a", "--verbose=yes", "cmd"}) == "-v/--verbose: takes no value");
  CHECK(errorOf({"-u", "", "cmd"}) == "-u/--user: empty user name");
  CHECK(errorOf({"-u", "a", "-l", "", "cmd"}) == "-l/--preload: empty path");
}

TEST_CASE("help, version and doctor") {
  auto h = parse({"--help"});
  REQUIRE(h.ok());
  CHECK(h->action == Action::kHelp);
  CHECK(parse({"-h"})->action == Action::kHelp);
  CHECK(parse({"-V"})->action == Action::kVersion);
  CHECK(privbind::cli::versionText().rfind("privbind ", 0) == 0);
  auto d = parse({"doctor", "--json", "java"});
  REQUIRE(d.ok());
  CHECK(d->action == Action::kDoctor);
  CHECK(d->doctorArgs == std::vector<std::string>{"--json", "java"});
  // Every option the parser knows is taught by --help.
  std::string help = privbind::cli::helpText();
  for (auto opt : {"--user", "--group", "--no-groups", "--mode", "--binds", "--preload", "--ports",
                   "--reuseport", "--no-target-check", "--allow-setuid", "--keep-env",
                   "--verbose", "--help", "--version", "doctor", "125", "126", "127"})
    CHECK_MESSAGE(help.find(opt) != std::string::npos, opt);
  // The doctor lines name its options and its own exit codes.
  CHECK(help.find("privbind doctor [--json] [--fix [--dry-run]] [TARGET]") != std::string::npos);
  CHECK(help.find("doctor: 0 no problem found, 1 problems found, 125 could not inspect") !=
        std::string::npos);
}
