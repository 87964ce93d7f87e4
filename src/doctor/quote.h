// Quoting for what doctor prints: shell commands a person pastes, and names in one-line messages.
#pragma once

#include <string>
#include <vector>

namespace privbind::doctor::quote {

// One word for a POSIX shell (sh(1), "Quoting"): left as is when it holds only characters no
// shell treats specially, else in single quotes, with each ' written as '\''. Inside single
// quotes every byte is literal, newline included, so the word reaches the command unchanged
// whatever the file name holds (';', '$', '`', spaces, newlines...).
std::string shell(const std::string& word);

// argv as one command line, each word quoted by shell().
std::string shellJoin(const std::vector<std::string>& argv);

// text for a one-line message: control characters (a newline in a file name) as \n, \t, \r or
// \xHH and a backslash doubled, so that a hostile name can neither split the line nor forge
// one. Everything else is kept.
std::string printable(const std::string& text);

}  // namespace privbind::doctor::quote
