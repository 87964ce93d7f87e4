// Joining and splitting text: lists for messages and ':'-separated paths, lines of a file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace privbind::text {

// items with sep between each two: {"a", "", "b"} and ":" give "a::b"; {} gives "".
std::string join(const std::vector<std::string>& items, std::string_view sep);

// Splits a ':'-separated list ($PATH, DT_RPATH); "a::b" gives {"a", "", "b"}, "" gives {}.
std::vector<std::string> splitPathList(std::string_view list);

// The lines of text without their newlines; a final newline ends the last line, it does not
// start an empty one: "a\nb\n" and "a\nb" both give {"a", "b"}.
std::vector<std::string_view> splitLines(std::string_view text);

// A JSON string literal with its quotes: quote and backslash escaped, control characters as
// \n, \t, \r or \u00XX, valid UTF-8 passed through, a stray byte as U+FFFD. The one escaper of
// doctor's and the standing grants' --json.
std::string jsonQuote(const std::string& s);

}  // namespace privbind::text
