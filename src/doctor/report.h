// Printing a Report: one screen of text for people, or JSON with stable keys for scripts
// (documented in docs/java-rpath.md).
#pragma once

#include <string>

#include "doctor/model.h"

namespace privbind::doctor::report {

std::string text(const Report& r);
std::string json(const Report& r);

// JSON string literal with quotes; control characters and invalid UTF-8 bytes escaped.
std::string jsonString(const std::string& s);

}  // namespace privbind::doctor::report
