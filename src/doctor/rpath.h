// The dynamic loader's handling of one RPATH/RUNPATH entry, as pure functions (strings in,
// strings out) so that they can be unit tested and fuzzed. The loader model (loader.h) and
// --fix (fix_plan.h) build on them.
//
// Modelled on glibc's elf/dl-load.c (is_dst, _dl_dst_substitute, is_trusted_path_normalize) and
// ld.so(8). In secure-execution mode (AT_SECURE: setuid, setgid or file capabilities):
//  - an entry using $ORIGIN is dropped unless $ORIGIN (or ${ORIGIN}) starts the entry and is
//    followed by '/' or the end of the entry;
//  - for the executable itself, the expanded entry must then lie under a trusted (system)
//    directory after normalising "." and "..", or the entry is dropped;
//  - $LIB and $PLATFORM expand to fixed values chosen by ld.so and are kept;
//  - relative entries are kept and resolve against the working directory of the process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace privbind::doctor::rpath {

// Length of the dynamic string token `name` at the start of text (text begins just after the
// '$'): 6 for "ORIGIN/x", 8 for "{ORIGIN}", 0 when text does not start with that token (as in
// "ORIGINAL" or "{ORIGIN").
size_t dstLength(std::string_view text, std::string_view name);

// Normalises an absolute path the way ld.so does before its trust check: removes "." and empty
// components, resolves ".." textually, and ends the result with '/'.
std::string normalizeForTrust(std::string_view path);

// Whether path (after normalizeForTrust) starts with one of systemDirs (each ending in '/').
bool isTrustedPath(std::string_view path, const std::vector<std::string>& systemDirs);

// What ld.so makes of one entry.
struct Expansion {
  std::string entry;          // the entry as written
  std::string expanded;       // the directory ld.so searches; empty when dropped
  bool dropped = false;       // ld.so ignores the entry
  std::string reason;         // why it is dropped or risky; empty when it is a plain path
  bool usesOrigin = false;    // $ORIGIN / ${ORIGIN}
  bool usesLib = false;       // $LIB / ${LIB}
  bool usesPlatform = false;  // $PLATFORM / ${PLATFORM}
  bool relative = false;      // expands to a path that does not start with '/'
};

struct LoaderContext {
  std::string origin;        // directory of the object that carries the entry (no trailing '/')
  bool secure = false;       // AT_SECURE: setuid, setgid or file capabilities
  bool isExecutable = true;  // the entry belongs to the main program (trust check applies)
  std::string lib = "lib";   // value of $LIB ("lib/x86_64-linux-gnu" on Debian x86-64)
  std::string platform;      // value of $PLATFORM ("x86_64"); empty drops $PLATFORM entries
  std::vector<std::string> systemDirs;  // trusted directories, each ending in '/'
};

Expansion expandEntry(std::string_view entry, const LoaderContext& ctx);

// The trusted directories of glibc on this kind of system when ld.so cannot be asked
// ("/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib/", "/usr/lib/" on Debian).
std::vector<std::string> defaultSystemDirs(std::string_view multiarch);

}  // namespace privbind::doctor::rpath
