#include "common/ports.h"

#include <doctest/doctest.h>
#include <netinet/in.h>

using privbind::ports::parse;

TEST_CASE("port lists: good input") {
  auto s = parse("80,443,8000-8010");
  REQUIRE(s.ok());
  CHECK(s->size() == 13);
  CHECK(s->contains(80));
  CHECK(s->contains(8010));
  CHECK_FALSE(s->contains(8011));
  CHECK(parse("1")->toString() == "1");
  CHECK(parse("65535")->toString() == "65535");
  CHECK(parse("5-5")->toString() == "5");
  CHECK(parse("81,80,82")->toString() == "80-82");
}

TEST_CASE("port lists: bad input is refused with the reason") {
  struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"0", "port 0 is out of range 1-65535"},
      {"70000", "port 70000 is out of range 1-65535"},
      {"65536", "port 65536 is out of range 1-65535"},
      {"5-3", "range 5-3 runs backwards"},
      {"abc", "'abc' is not a port number"},
      {"", "empty"},
      {"80,", "empty item"},
      {",80", "empty item"},
      {"80,,443", "empty item"},
      {"80,80", "port 80 is listed twice"},
      {"80-90,85", "port 85 is listed twice"},
      {"-80", "'' is not a port number"},
      {"80-", "'' is not a port number"},
      {"+80", "'+80' is not a port number"},
      {" 80", "' 80' is not a port number"},
      {"8O", "'8O' is not a port number"},
      {"1-2-3", "'2-3' is not a port number"},
      {"000080", "'000080' is not a port number"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    REQUIRE_MESSAGE(!r.ok(), c.text);
    CHECK(r.error().why() == c.why);
    CHECK(r.error().what() == std::string("port list '") + c.text + "'");
  }
}

TEST_CASE("refusal lines: the reason from the limits, the line in one piece") {
  using privbind::ports::formatRefusal;
  using privbind::ports::Refusal;
  using privbind::ports::refusalReason;
  auto set = parse("80,443,8000-8010");
  REQUIRE(set.ok());
  CHECK(refusalReason(Refusal::kNotInPorts, *set, std::nullopt) == "not in -p 80,443,8000-8010");
  CHECK(refusalReason(Refusal::kBindsUsedUp, std::nullopt, 1U) ==
        "-n 1: the one privileged bind is used up (every bind counts: UDP and TCP on one port "
        "are 2, on IPv4 and IPv6 4)");
  CHECK(refusalReason(Refusal::kBindsUsedUp, *set, 3U)
            .starts_with("-n 3: all 3 privileged binds are used up ("));

  char line[128];
  size_t n = formatRefusal(line, 53, IPPROTO_UDP, "not in -p 80");
  CHECK(std::string(line, n) == "privbind: port 53/udp: bind refused: not in -p 80\n");
  n = formatRefusal(line, 65535, IPPROTO_TCP, "x");
  CHECK(std::string(line, n) == "privbind: port 65535/tcp: bind refused: x\n");
  n = formatRefusal(line, 9, 255, "x");  // a protocol without a name: none shown
  CHECK(std::string(line, n) == "privbind: port 9: bind refused: x\n");
  // Cut to the buffer, still one line.
  char small[24];
  n = formatRefusal(small, 443, IPPROTO_TCP, "not in -p 80");
  CHECK(n == sizeof small);
  CHECK(std::string(small, n) == "privbind: port 443/tcp:\n");
  CHECK(formatRefusal(std::span<char>(), 1, IPPROTO_TCP, "x") == 0);
}
