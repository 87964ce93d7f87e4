#include "common/ports.h"

#include <doctest/doctest.h>

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
