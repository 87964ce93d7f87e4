// The checks: the system privbind runs on, and one target program.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "doctor/loader.h"
#include "doctor/model.h"

namespace privbind::doctor::inspect {

// Kernel, ambient capabilities, ip_unprivileged_port_start, privbind's own capabilities,
// no_new_privs, seccomp, and the preload library. Adds findings to report.
void system(Report& report);

// Finds TARGET: a path, a command on PATH, or "java" ($JAVA_HOME, PATH, /etc/alternatives).
// Fills the resolution chain and the real path.
Result<BinaryReport> resolveTarget(const std::string& target);

// Reads and judges the resolved binary; adds findings to report. An Error when it cannot be
// inspected at all (not an ELF file, unreadable...).
Status binary(BinaryReport& bin, const loader::Host& host, Report& report);

// Why someone other than root could change the file at path (a real path) or swap it for
// another: the file or a directory above it is owned by another user, or writable by group or
// others (a sticky directory, like /tmp, protects the entries it holds). Empty when only root can.
std::string untrustedWriter(const std::string& path);

// The entries of one kind ("RPATH"/"RUNPATH") that --fix would write, or none when nothing in
// it needs rewriting: $ORIGIN entries that secure-execution mode drops become the absolute
// directory they name, the others are kept as they are.
std::vector<std::string> fixedEntries(const BinaryReport& bin, const std::string& tag);

// The same, ':'-joined as DT_RPATH/DT_RUNPATH holds it; "" when nothing needs rewriting.
std::string fixedList(const BinaryReport& bin, const std::string& tag);

// Why entry must never be written into a DT_RPATH/DT_RUNPATH of a privileged file, or "" when
// it may: ld.so splits the list at ':', expands '$' sequences ($ORIGIN, $LIB, $PLATFORM) again
// and resolves a relative entry against the working directory (ld.so(8)), so any of them can
// hand the choice of a library to whoever picks a directory name or the working directory.
std::string unsafeEntry(const std::string& entry);

// Why someone other than root could put a library into the directory entry names, or "" when
// only root can: it, a directory or symlink on the way to it, or the directory it resolves to
// belongs to another user; it is writable by group or others; or it does not exist and the
// directory where it would be created is writable by others. A sticky directory protects
// root's existing entries from rename and removal (rename(2), unlink(2)) but not a missing name
// from being created, and anyone may add files to a sticky library directory.
std::string entryWriter(const std::string& entry);

// The first entry --fix would write that unsafeEntry() or entryWriter() refuses, as
// "DT_RPATH entry 'ENTRY': why"; "" if none.
std::string unsafeFix(const BinaryReport& bin);

}  // namespace privbind::doctor::inspect
