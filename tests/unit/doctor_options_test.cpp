// privbind doctor's own command line, and its JSON output, from plain data.
#include <doctest/doctest.h>

#include "common/text.h"
#include "doctor/json_writer.h"
#include "doctor/options.h"
#include "doctor/report.h"

using namespace privbind::doctor;

namespace {

std::string usageOf(const std::vector<std::string>& args) {
  auto r = parseOptions(args);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().isUsage());
  CHECK(r.error().exitCode() == 125);
  return r.error().message();
}

}  // namespace

TEST_CASE("doctor options") {
  auto none = parseOptions({});
  REQUIRE(none.ok());
  CHECK(none->target.empty());
  CHECK_FALSE(none->json);
  CHECK_FALSE(none->fix);

  auto all = parseOptions({"--fix", "--dry-run", "--json", "java"});
  REQUIRE(all.ok());
  CHECK(all->fix);
  CHECK(all->dryRun);
  CHECK(all->json);
  CHECK(all->target == "java");

  auto after = parseOptions({"/opt/jdk/bin/java", "--json"});
  REQUIRE(after.ok());
  CHECK(after->json);
  CHECK(after->target == "/opt/jdk/bin/java");

  auto dashed = parseOptions({"--", "--weird-name"});
  REQUIRE(dashed.ok());
  CHECK(dashed->target == "--weird-name");

  CHECK(parseOptions({"-h"})->help);
  CHECK_FALSE(parseOptions({"--help", "--bogus"}).ok());  // refused even with --help
}

TEST_CASE("doctor usage errors") {
  CHECK(usageOf({"--bogus"}) == "--bogus: unknown option");
  CHECK(usageOf({"--json", "--json"}) == "--json: given more than once");
  CHECK(usageOf({"--fix=yes", "x"}) == "--fix: takes no value");
  CHECK(usageOf({"a", "b"}) == "'b': only one TARGET at a time");
  CHECK(usageOf({"--dry-run", "x"}) == "--dry-run: only makes sense with --fix");
  CHECK(usageOf({"--fix"}).find("needs a TARGET") != std::string::npos);
  CHECK(usageOf({""}) == "TARGET: empty");
  CHECK(usageOf({"-u"}) == "-u/--user: needs a value (USER)");
  CHECK(usageOf({"--user=", "x"}) == "-u/--user: empty value; expected USER");
  CHECK(usageOf({"-u", "a", "-u", "b"}) == "-u/--user: given more than once");
  CHECK(usageOf({"-u", "nobody"}) == "-u/--user: only makes sense with a TARGET to look up");
  // No short flag that means something else in the launcher: -n is --binds there.
  CHECK(usageOf({"-n", "--fix", "x"}) == "-n: unknown option");
}

TEST_CASE("doctor -u: the user TARGET is looked up as") {
  auto r = parseOptions({"-u", "www-data", "python3"});
  REQUIRE(r.ok());
  CHECK(r->user == "www-data");
  CHECK(r->target == "python3");
  auto attached = parseOptions({"python3", "--user=app"});
  REQUIRE(attached.ok());
  CHECK(attached->user == "app");
  CHECK(parseOptions({"python3"})->user.empty());
}

TEST_CASE("help teaches the options and exit codes, from the table") {
  std::string h = helpText();
  for (const char* word : {"--fix", "--dry-run", "--json", "JAVA_HOME", "secure-execution",
                           "$ORIGIN", "125", "privbind-orig", "Usage: privbind doctor"})
    CHECK_MESSAGE(h.find(word) != std::string::npos, word);
  for (const auto& o : optionTable()) {
    std::string line =
        (o.shortName ? std::string("  -") + o.shortName + ", --" : "      --") + o.longName;
    CHECK_MESSAGE(h.find("\n" + line) != std::string::npos, line);
  }
  CHECK(h.find("-n,") == std::string::npos);
}

TEST_CASE("JSON strings are escaped and stay valid UTF-8") {
  CHECK(privbind::text::jsonQuote("plain") == "\"plain\"");
  CHECK(privbind::text::jsonQuote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(privbind::text::jsonQuote("l1\nl2\t") == "\"l1\\nl2\\t\"");
  CHECK(privbind::text::jsonQuote(std::string("\x01\x7f", 2)) == "\"\\u0001\\u007f\"");
  CHECK(privbind::text::jsonQuote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(privbind::text::jsonQuote("bad\xff") == "\"bad\\ufffd\"");
  CHECK(privbind::text::jsonQuote("cut\xc3") == "\"cut\\ufffd\"");
}

TEST_CASE("an empty report is a clean, well-formed document") {
  Report r;
  std::string j = report::json(r);
  CHECK(j ==
        "{\"format\":2,\"system\":null,\"target\":null,\"findings\":[],"
        "\"problems\":false,\"exit_code\":0}\n");
  r.findings.push_back({Severity::kProblem, "x", "y"});
  CHECK(report::json(r).find("\"findings\":[{\"severity\":\"problem\",\"code\":\"x\","
                             "\"message\":\"y\"}],\"problems\":true,\"exit_code\":1}") !=
        std::string::npos);
  CHECK(report::text(r).find("PROBLEM: y") != std::string::npos);
}

TEST_CASE("a target doctor did not judge never reads 'no problem found'") {
  Report r;
  r.binary.emplace();
  r.binary->path = "/x";
  r.binary->notJudged = "why";
  CHECK(report::text(r).find("Result: not judged\n") != std::string::npos);
  CHECK(report::text(r).find("no problem found") == std::string::npos);
  CHECK(report::json(r).find("\"checked\":false,\"starts_as_user\":null") != std::string::npos);
}
