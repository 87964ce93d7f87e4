// Table-driven command lines, shared by the launcher (src/cli) and doctor (src/doctor).
//
// A command line is described by one table: each row names an option once (short and long
// spelling, its value, a caller-defined mask such as the modes that accept it, the help line and
// the function that stores its value). The same rows drive splitting, the checks for unknown,
// duplicate and value-less options, value parsing and the help text, so the four cannot drift
// apart. No system calls, no exceptions, no parser library: every message is privbind's own,
// "<option>: <why>", and is returned as a usage error (exit 125 and a "Try ... --help" line).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace privbind::argtable {

template <class Opts>
struct Option {
  char shortName;         // 0 when there is none
  const char* longName;   // without the leading "--"
  const char* valueName;  // "USER", "LIST", ...; nullptr for a flag
  unsigned mask;          // the caller's meaning (the launcher: the modes that accept it)
  const char* help;       // help text; '\n' starts a continuation line
  // Stores the value (empty for a flag). A failure names the option already; `why` only.
  Status (*apply)(Opts& opts, const std::string& value);
};

// "-u/--user", "--keep-env".
template <class Opts>
std::string display(const Option<Opts>& o) {
  std::string out;
  if (o.shortName) out = std::string("-") + o.shortName + "/";
  return out + "--" + o.longName;
}

// One occurrence of an option on the command line.
struct Given {
  size_t row;         // index into the table
  std::string value;  // the value, empty for a flag
};

struct Split {
  std::vector<Given> given;           // in command-line order, each row at most once
  std::vector<std::string> operands;  // words that are not options
  bool has(size_t row) const {
    for (const auto& g : given)
      if (g.row == row) return true;
    return false;
  }
};

enum class Operands {
  kEndOptions,   // the first operand ends the options (the launcher: COMMAND [ARG...])
  kInterleaved,  // options and operands may mix (doctor: TARGET anywhere)
};

namespace detail {

inline Error usage(std::string what, std::string why) {
  return Error::usage(std::move(what), std::move(why));
}

template <class Opts>
const Option<Opts>* findLong(std::span<const Option<Opts>> table, std::string_view name,
                             size_t& row) {
  for (size_t i = 0; i < table.size(); ++i)
    if (name == table[i].longName) return &table[(row = i)];
  return nullptr;
}

template <class Opts>
const Option<Opts>* findShort(std::span<const Option<Opts>> table, char c, size_t& row) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i].shortName && table[i].shortName == c) return &table[(row = i)];
  return nullptr;
}

// A separate value that is itself one of our options ("--mode -u nobody") is almost always a
// forgotten value, and taking it would turn "-u" into the mode.
template <class Opts>
bool isOptionWord(std::span<const Option<Opts>> table, const std::string& word) {
  size_t row = 0;
  if (word.starts_with("--") && word.size() > 2)
    return findLong(table, std::string_view(word).substr(2, word.find('=') - 2), row);
  return word.size() == 2 && word[0] == '-' && findShort(table, word[1], row);
}

}  // namespace detail

// Splits args (argv without argv[0]) into options with their values and operands, as
// getopt_long(3) does with "+" (kEndOptions) or by default (kInterleaved): "--" ends the options;
// "--name=value", "--name value", "-xVALUE", "-x VALUE" and clusters such as "-vG" are accepted.
// Refused, naming the option: an unknown option, an option given twice, a value given to a flag,
// a missing or empty value.
template <class Opts>
Result<Split> split(std::span<const Option<Opts>> table, const std::vector<std::string>& args,
                    Operands operands) {
  using detail::usage;
  Split out;
  auto note = [&](size_t row, std::string value) -> Status {
    const Option<Opts>& o = table[row];
    if (out.has(row)) return usage(display(o), "given more than once");
    if (o.valueName && value.empty())
      return usage(display(o), std::string("empty value; expected ") + o.valueName);
    out.given.push_back({row, std::move(value)});
    return {};
  };
  // The value of an option spelled without it: the next word.
  auto next = [&](size_t& i, const Option<Opts>& o) -> Result<std::string> {
    if (i + 1 >= args.size())
      return usage(display(o), std::string("needs a value (") + o.valueName + ")");
    if (detail::isOptionWord(table, args[i + 1]))
      return usage(display(o), std::string("needs a value (") + o.valueName + "), not the option " +
                                   args[i + 1]);
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.operands.insert(out.operands.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      return out;
    }
    if (a.size() < 2 || a[0] != '-') {  // an operand ("-" alone is one, as for getopt)
      if (operands == Operands::kEndOptions) {
        out.operands.assign(args.begin() + static_cast<long>(i), args.end());
        return out;
      }
      out.operands.push_back(a);
      continue;
    }
    size_t row = 0;
    if (a[1] == '-') {
      std::string name = a.substr(2);
      auto eq = name.find('=');
      const bool attached = eq != std::string::npos;
      std::string value = attached ? name.substr(eq + 1) : "";
      if (attached) name.resize(eq);
      const Option<Opts>* o = detail::findLong(table, name, row);
      if (!o) return usage("--" + name, "unknown option");
      if (!o->valueName && attached) return usage(display(*o), "takes no value");
      if (o->valueName && !attached) {
        auto v = next(i, *o);
        if (!v) return v.error();
        value = std::move(*v);
      }
      if (auto s = note(row, std::move(value)); !s) return s.error();
      continue;
    }
    // A cluster of short options: "-vG", "-uapp", "-vu app".
    for (size_t k = 1; k < a.size(); ++k) {
      const Option<Opts>* o = detail::findShort(table, a[k], row);
      if (!o) return usage(std::string("-") + a[k], "unknown option");
      if (!o->valueName) {
        if (auto s = note(row, ""); !s) return s.error();
        continue;
      }
      std::string value;
      if (k + 1 < a.size()) {
        value = a.substr(k + 1);
      } else {
        auto v = next(i, *o);
        if (!v) return v.error();
        value = std::move(*v);
      }
      if (auto s = note(row, std::move(value)); !s) return s.error();
      break;
    }
  }
  return out;
}

// Calls each given option's apply() in table order (so that a row may rely on the rows above
// it); a failure becomes "<option>: <why>".
template <class Opts>
Status apply(std::span<const Option<Opts>> table, const Split& split, Opts& opts) {
  for (size_t row = 0; row < table.size(); ++row)
    for (const auto& g : split.given)
      if (g.row == row)
        if (auto s = table[row].apply(opts, g.value); !s)
          return detail::usage(display(table[row]), s.error().why());
  return {};
}

// The help lines of the rows whose mask is exactly `mask`:
//   "  -u, --user USER       run as USER ..." with continuation lines aligned under the text.
template <class Opts>
std::string render(std::span<const Option<Opts>> table, unsigned mask) {
  constexpr size_t kColumn = 24;
  std::string out;
  for (const auto& o : table) {
    if (o.mask != mask) continue;
    std::string names = o.shortName ? std::string("  -") + o.shortName + ", --" : "      --";
    names += o.longName;
    if (o.valueName) names += std::string(" ") + o.valueName;
    names += names.size() + 1 < kColumn ? std::string(kColumn - names.size(), ' ') : " ";
    std::string_view help = o.help;
    bool first = true;
    while (!help.empty() || first) {
      auto nl = help.find('\n');
      std::string_view line = help.substr(0, nl);
      out += first ? names : std::string(kColumn, ' ');
      out += line;
      out += '\n';
      help = nl == std::string_view::npos ? std::string_view() : help.substr(nl + 1);
      first = false;
    }
  }
  return out;
}

}  // namespace privbind::argtable
