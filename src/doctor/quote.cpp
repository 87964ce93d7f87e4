#include "doctor/quote.h"

#include <cstdio>

namespace privbind::doctor::quote {

namespace {

// Characters that mean nothing to sh in any position of a word that is not the first: no
// expansion, globbing, splitting, redirection or comment. ('=' could make a first word an
// assignment; the first word is always the name of a tool, never a file name.)
bool plainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '.' || c == '_' || c == '-' || c == '+' || c == '=' || c == ',' || c == ':';
}

}  // namespace

std::string shell(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) plain = plain && plainChar(c);
  if (plain) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string shellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += shell(a);
  }
  return out;
}

std::string printable(const std::string& text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace privbind::doctor::quote
