// Standing grants without the kernel: the three commands' parsers driven from argv vectors, and
// the policy file's parser and writer with hostile and canonical text.
#include <doctest/doctest.h>
#include <netinet/in.h>

#include "grants/options.h"
#include "grants/policy_file.h"

using namespace privbind::grants;

namespace {

Options ok(const std::string& word, const std::vector<std::string>& args) {
  auto r = parseOptions(word, args);
  REQUIRE_MESSAGE(r.ok(), r.error().message());
  return *r;
}

std::string errorOf(const std::string& word, const std::vector<std::string>& args) {
  auto r = parseOptions(word, args);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().isUsage());
  CHECK(r.error().exitCode() == 125);
  return r.error().message();
}

std::string policyError(const std::string& text) {
  auto r = parsePolicy(text, "grants.conf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().exitCode() == 125);
  return r.error().message();
}

}  // namespace

TEST_CASE("grant: -u or -g, -p required, protocols and scope") {
  auto o = ok("grant", {"-u", "alice", "-p", "80,443", "--tcp"});
  CHECK(o.verb == Verb::kGrant);
  CHECK(o.user == "alice");
  CHECK(o.ports->toString() == "80,443");
  CHECK(o.tcp);
  CHECK_FALSE(o.udp);
  CHECK_FALSE(o.anyNetns);
  CHECK(ok("grant", {"-g", "web", "-p", "53", "--udp", "--any-netns"}).anyNetns);
  CHECK(errorOf("grant", {"-u", "a", "-g", "b", "-p", "80"}) ==
        "-u/--user and -g/--group: one or the other, not both");
  CHECK(errorOf("grant", {"-p", "80"}) == "-u/--user or -g/--group: required: whom to grant");
  CHECK(errorOf("grant", {"-u", "a"}) == "-p/--ports: required: which reserved ports to grant");
  // The launcher's list syntax and its parser's words.
  CHECK(errorOf("grant", {"-u", "a", "-p", "80,,443"}).rfind("-p/--ports: ", 0) == 0);
  CHECK(errorOf("grant", {"-u", "a", "-p", "0"}).rfind("-p/--ports: ", 0) == 0);
  CHECK(errorOf("grant", {"-u", "a", "-p", "90-80"}).rfind("-p/--ports: ", 0) == 0);
  CHECK(errorOf("grant", {"-u", "a", "-p", "80", "-p", "81"}) ==
        "-p/--ports: given more than once");
  CHECK(errorOf("grant", {"-u", "a", "-p", "80", "--json"}) ==
        "--json: not an option of privbind grant");
  CHECK(errorOf("grant", {"-u", "a", "-p", "80", "extra"}) == "'extra': unexpected argument");
  CHECK(ok("grant", {"--help"}).help);
}

TEST_CASE("revoke: -p optional, --any-netns is grant's") {
  auto o = ok("revoke", {"-u", "alice"});
  CHECK(o.verb == Verb::kRevoke);
  CHECK_FALSE(o.ports.has_value());
  CHECK(errorOf("revoke", {"-u", "a", "--any-netns"}) ==
        "--any-netns: not an option of privbind revoke");
  CHECK(errorOf("revoke", {}) == "-u/--user or -g/--group: required: whom to revoke");
}

TEST_CASE("grants: status, apply, off") {
  CHECK(ok("grants", {}).verb == Verb::kStatus);
  CHECK(ok("grants", {"--json"}).json);
  CHECK(ok("grants", {"apply"}).verb == Verb::kApply);
  CHECK(ok("grants", {"off"}).verb == Verb::kOff);
  CHECK(errorOf("grants", {"on"}) ==
        "'on': not a subcommand of privbind grants; expected apply or off");
  CHECK(errorOf("grants", {"apply", "off"}) == "'off': unexpected argument");
  CHECK(errorOf("grants", {"apply", "--json"}) ==
        "--json: only with privbind grants alone, not with apply");
  CHECK(errorOf("grants", {"-u", "a"}) == "-u/--user: not an option of privbind grants");
  CHECK(helpCommand(Verb::kApply) == "privbind grants");
  CHECK(helpCommand(Verb::kGrant) == "privbind grant");
}

TEST_CASE("each command's --help lists exactly its table") {
  for (const auto& entry : {std::pair{"grant", Verb::kGrant}, std::pair{"revoke", Verb::kRevoke},
                            std::pair{"grants", Verb::kStatus}}) {
    // Named copies, not structured bindings: clang 14 cannot capture those in CAPTURE's lambda.
    const char* word = entry.first;
    std::string help = helpText(entry.second);
    CAPTURE(word);
    CHECK(help.rfind(std::string("Usage: privbind ") + word, 0) == 0);
    for (const auto& o : optionTable(word)) {
      std::string line =
          (o.shortName ? std::string("  -") + o.shortName + ", --" : "      --") + o.longName;
      CHECK_MESSAGE(help.find("\n" + line) != std::string::npos, line);
    }
  }
  CHECK(helpText(Verb::kGrant).find("PRIMARY group") != std::string::npos);
}

TEST_CASE("the policy file: canonical text, round trip, merge") {
  auto p = parsePolicy(
      "# comment\n"
      "\n"
      "user alice 1001 tcp 80,443   # trailing comment\n"
      "group web 1002 udp 53 any-netns\n"
      "user alice 1001 tcp 443 any-netns\n",
      "grants.conf");
  REQUIRE_MESSAGE(p.ok(), p.error().message());
  CHECK(p->size() == 3);
  privbind::bpf::GrantKey k80{false, 1001, 80, IPPROTO_TCP};
  privbind::bpf::GrantKey k443{false, 1001, 443, IPPROTO_TCP};
  privbind::bpf::GrantKey g53{true, 1002, 53, IPPROTO_UDP};
  CHECK_FALSE(p->at(k80).anyNetns);
  CHECK(p->at(k443).anyNetns);  // listed twice: the wider scope
  CHECK(p->at(g53).name == "web");
  std::string text = formatPolicy(*p);
  CHECK(text.find("\nuser alice 1001 tcp 80\n") != std::string::npos);
  CHECK(text.find("\nuser alice 1001 tcp 443 any-netns\n") != std::string::npos);
  CHECK(text.find("\ngroup web 1002 udp 53 any-netns\n") != std::string::npos);
  CHECK(text.rfind("# privbind standing grants", 0) == 0);
  auto again = parsePolicy(text, "grants.conf");
  REQUIRE(again.ok());
  CHECK(*again == *p);
  CHECK(formatPolicy(*again) == text);
  CHECK(parsePolicy("", "x")->empty());
  auto table = tableOf(*p);
  CHECK(table.size() == 3);
  CHECK(table.at(k443));
}

TEST_CASE("the policy file: every malformed line is refused with its number") {
  CHECK(policyError("user alice 0 tcp 80\n") == "grants.conf:1: uid 0 is root: never granted");
  CHECK(policyError("\ngroup root 0 tcp 80\n") ==
        "grants.conf:2: gid 0 is root's group: never granted");
  CHECK(policyError("user alice 1001 sctp 80\n") == "grants.conf:1: 'sctp' is not tcp or udp");
  CHECK(policyError("users alice 1001 tcp 80\n") == "grants.conf:1: 'users' is not user or group");
  CHECK(policyError("user alice x tcp 80\n") == "grants.conf:1: 'x' is not a numeric id");
  CHECK(policyError("user alice -1 tcp 80\n") == "grants.conf:1: '-1' is not a numeric id");
  CHECK(policyError("user alice 4294967295 tcp 80\n") ==
        "grants.conf:1: '4294967295' is not a numeric id");
  CHECK(policyError("user alice 1001 tcp 80 everywhere\n") ==
        "grants.conf:1: 'everywhere' is not any-netns");
  CHECK(policyError("user alice 1001 tcp\n").rfind("grants.conf:1: expected", 0) == 0);
  CHECK(policyError("user alice 1001 tcp 80 any-netns x\n").rfind("grants.conf:1: expected", 0) ==
        0);
  CHECK(policyError("user alice 1001 tcp 0\n").rfind("grants.conf:1: ", 0) == 0);
  CHECK(policyError("user alice 1001 tcp 70000\n").rfind("grants.conf:1: ", 0) == 0);
  CHECK(policyError("user alice 1001 tcp 80,80\n").rfind("grants.conf:1: ", 0) == 0);
}
