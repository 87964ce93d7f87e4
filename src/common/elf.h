// Facts about an executable read from its ELF headers (through elfutils' libelf, never a
// hand-written parser). What the dynamic loader makes of those facts is doctor's business
// (src/doctor/rpath.h, src/doctor/loader.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace privbind::elf {

struct Info {
  std::string path;                  // as given to read()
  int elfClass = 0;                  // 32 or 64
  unsigned machine = 0;              // EM_*
  std::string machineName;           // "x86-64", "AArch64", ...
  bool dynamic = false;              // has PT_INTERP: runs through ld.so, so LD_PRELOAD applies
  std::string interpreter;           // PT_INTERP path, empty when static
  bool isGo = false;                 // built by the Go toolchain (.go.buildinfo, Go build ID note)
  std::vector<std::string> needed;   // DT_NEEDED, in order
  std::vector<std::string> rpath;    // DT_RPATH split on ':' (empty entries kept)
  std::vector<std::string> runpath;  // DT_RUNPATH split on ':' (empty entries kept)
  bool hasRpath = false;             // DT_RPATH present (even when its string is empty)
  bool hasRunpath = false;           // DT_RUNPATH present
  std::string soname;                // DT_SONAME, empty when none
  bool noDefaultLib = false;         // DF_1_NODEFLIB: ld.so skips the cache and default dirs
};

// Reads the ELF facts of path (symlinks followed). Errors name the path and say why in one
// sentence: missing, dangling symlink, directory, not a regular file, unreadable, not an ELF file
// (a script names its interpreter), truncated or malformed.
Result<Info> read(const std::string& path);

// The program named on a "#!" first line ("/usr/bin/python3" for "#!/usr/bin/python3 -u"), or
// an Error when path is not a script.
Result<std::string> scriptInterpreter(const std::string& path);

// "x86-64" for EM_X86_64, "AArch64" for EM_AARCH64, "machine 1234" for anything unknown.
std::string machineName(unsigned machine);

}  // namespace privbind::elf
