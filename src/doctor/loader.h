// A model of how ld.so finds the NEEDED libraries of a program, in normal and in
// secure-execution mode (ld.so(8), glibc elf/dl-load.c: _dl_map_object).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/elf.h"
#include "doctor/model.h"
#include "doctor/rpath.h"

namespace privbind::doctor::loader {

// What ld.so on this host uses: its trusted directories, $LIB, $PLATFORM and ld.so.cache.
struct Host {
  std::vector<std::string> systemDirs;            // each ending in '/'
  std::string lib;                                // value of $LIB
  std::string platform;                           // value of $PLATFORM
  std::multimap<std::string, std::string> cache;  // soname -> path, from `ldconfig -p`
  std::vector<std::string> ldLibraryPath;         // doctor's own LD_LIBRARY_PATH, absolute entries
  std::string interpreter;                        // privbind's own PT_INTERP: the system ld.so
  // glibc-hwcaps subdirectories this CPU supports, best first ("glibc-hwcaps/x86-64-v3/"):
  // ld.so looks in DIR/<each> before DIR itself, for every directory it searches.
  std::vector<std::string> hwcapsSubdirs;
  int elfClass = 0;  // privbind's own class and machine
  unsigned machine = 0;
};

// Asks privbind's own ld.so (--list-diagnostics) and ldconfig; falls back to the usual
// directories when they cannot be asked.
Host probeHost();

// Every RPATH/RUNPATH entry of the program, as ld.so expands it in each mode.
std::vector<EntryReport> entries(const elf::Info& info, const std::string& realPath,
                                 const Host& host);

// Resolves DT_NEEDED of the program and, transitively, of every library found, the way ld.so
// searches (RPATH of the loader chain unless it has RUNPATH, RUNPATH, ld.so.cache, trusted
// directories). LD_LIBRARY_PATH (doctor's own: privbind passes its environment on to the
// command) is searched in normal mode, after RPATH and before RUNPATH; secure-execution mode
// ignores it (ld.so(8)).
std::vector<LibReport> resolve(const elf::Info& info, const std::string& realPath,
                               const Host& host);

}  // namespace privbind::doctor::loader
