// Which file doctor judges: a path, a command on PATH, or "java" through $JAVA_HOME; symlinks
// followed one by one so that the report shows /etc/alternatives hops.
#pragma once

#include <string>

#include "common/error.h"
#include "doctor/model.h"

namespace privbind::doctor::resolve {

// Fills the resolution chain and the real path of target.
Result<BinaryReport> target(const std::string& target);

}  // namespace privbind::doctor::resolve
