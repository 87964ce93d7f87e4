// Recognising a JDK from its java launcher: JAVA_HOME, the layout (9+ or 8) and where libjli.so
// lives in it, and which launchers in bin/ carry file capabilities.
#pragma once

#include <optional>
#include <string>

#include "doctor/model.h"

namespace privbind::doctor::jdk {

// real: the launcher's real path (…/bin/java). nullopt when it is not inside a JDK.
std::optional<JdkReport> detect(const std::string& real);

}  // namespace privbind::doctor::jdk
