// Which file doctor judges: a path, a command on PATH, or "java" through $JAVA_HOME; symlinks
// followed one by one so that the report shows /etc/alternatives hops; scripts followed to the
// interpreter that really runs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/error.h"
#include "common/ids.h"
#include "doctor/model.h"

namespace privbind::doctor::resolve {

// An ordinary user, when doctor is not told which user the service runs as.
inline constexpr uid_t kDefaultUid = 65534;
inline constexpr gid_t kDefaultGid = 65534;

// The ordinary user doctor judges for when it is not told one: uid and gid 65534, no groups.
ids::Target defaultUser();

// Fills the resolution chain and the real path of the program that runs for target. A command
// name is looked up on PATH by the launcher's own search (launch::resolveCommand) as user would
// find it: user is the -u USER of doctor, or by default an ordinary user (kDefaultUid:kDefaultGid,
// no supplementary groups), for whom "java" is first looked for through $JAVA_HOME. A script is
// followed through its "#!" line (and "#!/usr/bin/env NAME" through PATH) to the interpreter the
// kernel really runs.
Result<BinaryReport> target(const std::string& target,
                            const std::optional<ids::Target>& user = std::nullopt);

}  // namespace privbind::doctor::resolve
