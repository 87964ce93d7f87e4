// Which file doctor judges: a path, a command on PATH, or "java" through $JAVA_HOME; symlinks
// followed one by one so that the report shows /etc/alternatives hops; scripts followed to the
// interpreter that really runs.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/error.h"
#include "doctor/model.h"

namespace privbind::doctor::resolve {

// An ordinary user, when doctor is not told which user the service runs as.
inline constexpr uid_t kDefaultUid = 65534;
inline constexpr gid_t kDefaultGid = 65534;

// Fills the resolution chain and the real path of the program that runs for target. A command
// name is looked up on PATH as uid:gid would (launch::findCommandAs), the same search the
// launcher's exec makes after it dropped privileges. A script is followed through its "#!" line
// (and "#!/usr/bin/env NAME" through PATH) to the interpreter the kernel really runs.
Result<BinaryReport> target(const std::string& target, uid_t uid = kDefaultUid,
                            gid_t gid = kDefaultGid);

}  // namespace privbind::doctor::resolve
