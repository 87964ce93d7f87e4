// The rules the launcher, the broker helper and the preload shim share (common/kernel_limits.h).
#include "common/kernel_limits.h"

#include <doctest/doctest.h>

#include <string_view>

namespace {

long parse(std::string_view text) { return privbind_parse_port_start(text.data(), text.size()); }

}  // namespace

TEST_CASE("ip_unprivileged_port_start: the kernel's format, clamped, anything else refused") {
  CHECK(parse("1024\n") == 1024);
  CHECK(parse("80") == 80);
  CHECK(parse("0\n") == 0);
  CHECK(parse("65536\n") == 65536);
  CHECK(parse("70000\n") == 65536);
  CHECK(parse("99999999999999999999\n") == 65536);  // no overflow on the way
  CHECK(parse("") == -1);
  CHECK(parse("\n") == -1);
  CHECK(parse("-1\n") == -1);
  CHECK(parse(" 80\n") == -1);
  CHECK(parse("80x") == -1);
  CHECK(parse("80\n\n") == -1);
  CHECK(parse("80 \n") == -1);
}

TEST_CASE("the close-one-at-a-time fallback stops at the descriptor limit, never beyond 1 << 20") {
  unsigned limit = privbind_close_limit();
  CHECK(limit > 2);
  CHECK(limit <= PRIVBIND_CLOSE_LIMIT_MAX);
}
