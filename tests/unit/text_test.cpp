// Joining and splitting (common/text.h).
#include "common/text.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using privbind::text::join;
using privbind::text::splitLines;
using privbind::text::splitPathList;

TEST_CASE("splitPathList keeps empty entries, as ld.so does") {
  CHECK(splitPathList("") == std::vector<std::string>{});
  CHECK(splitPathList("/a") == std::vector<std::string>{"/a"});
  CHECK(splitPathList("$ORIGIN:$ORIGIN/../lib") ==
        std::vector<std::string>{"$ORIGIN", "$ORIGIN/../lib"});
  CHECK(splitPathList("a::b") == std::vector<std::string>{"a", "", "b"});
  CHECK(splitPathList(":") == std::vector<std::string>{"", ""});
}

TEST_CASE("join puts the separator between every two items, empty ones included") {
  CHECK(join({}, ":") == "");
  CHECK(join({"a"}, ", ") == "a");
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  // A leading or trailing empty entry keeps its separator: ":/x" is not "/x" to ld.so.
  CHECK(join({"", "/x"}, ":") == ":/x");
  CHECK(join({"/x", ""}, ":") == "/x:");
  for (const char* list : {"a::b", ":", "::", ":a", "a:", "$ORIGIN/../lib:/usr/lib"})
    CHECK(join(splitPathList(list), ":") == list);
}

TEST_CASE("splitLines: a final newline ends the last line") {
  using Lines = std::vector<std::string_view>;
  CHECK(splitLines("") == Lines{});
  CHECK(splitLines("a") == Lines{"a"});
  CHECK(splitLines("a\nb\n") == Lines{"a", "b"});
  CHECK(splitLines("a\n\nb") == Lines{"a", "", "b"});
  CHECK(splitLines("\n") == Lines{""});
}
