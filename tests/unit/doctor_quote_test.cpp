// doctor's quoting: shell words a person pastes into a root shell, names in one-line messages,
// and the RPATH entries --fix refuses to write.
#include <doctest/doctest.h>

#include "doctor/fix_plan.h"
#include "doctor/quote.h"

using namespace privbind::doctor;

TEST_CASE("quote::shell leaves plain words alone and single-quotes the rest") {
  CHECK(quote::shell("/usr/lib/jvm/java-17/bin/java") == "/usr/lib/jvm/java-17/bin/java");
  CHECK(quote::shell("cap_net_bind_service=ep") == "cap_net_bind_service=ep");
  CHECK(quote::shell("") == "''");
  CHECK(quote::shell("a b") == "'a b'");
  CHECK(quote::shell("a;b") == "'a;b'");
  CHECK(quote::shell("$(id)") == "'$(id)'");
  CHECK(quote::shell("`id`") == "'`id`'");
  CHECK(quote::shell("it's") == "'it'\\''s'");
  CHECK(quote::shell("a\nb") == "'a\nb'");
  CHECK(quote::shell("*") == "'*'");
  CHECK(quote::shell("~root") == "'~root'");
  CHECK(quote::shell("#x") == "'#x'");
  CHECK(quote::shellJoin({"setcap", "-r", "/tmp/a b"}) == "setcap -r '/tmp/a b'");
}

TEST_CASE("quote::printable keeps a message on one line") {
  CHECK(quote::printable("/tmp/a b") == "/tmp/a b");
  CHECK(quote::printable("a\nb") == "a\\nb");
  CHECK(quote::printable("a\\nb") == "a\\\\nb");
  CHECK(quote::printable(std::string("a\x1b[2Jb\tc\r", 9)) == "a\\x1b[2Jb\\tc\\r");
  CHECK(quote::printable("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("RPATH entries --fix never writes") {
  CHECK(fixplan::unsafeEntry("/opt/jdk-17/lib").empty());
  CHECK(fixplan::unsafeEntry("/tmp/a b/lib").empty());
  CHECK(fixplan::unsafeEntry("/tmp/jdk:x/lib").find("contains ':'") != std::string::npos);
  CHECK(fixplan::unsafeEntry("/tmp/x$LIB/lib").find("contains '$'") != std::string::npos);
  CHECK(fixplan::unsafeEntry("/tmp/${PLATFORM}").find("contains '$'") != std::string::npos);
  CHECK(fixplan::unsafeEntry("lib").find("not an absolute") != std::string::npos);
  CHECK(fixplan::unsafeEntry("").find("not an absolute") != std::string::npos);
}
