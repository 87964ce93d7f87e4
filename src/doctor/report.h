// Printing a Report: one screen of text for people (report_text.cpp), or JSON with stable keys
// for scripts (report_json.cpp, keys documented in docs/java-rpath.md).
#pragma once

#include <string>

#include "doctor/model.h"

namespace privbind::doctor::report {

std::string text(const Report& r);
std::string json(const Report& r);

}  // namespace privbind::doctor::report
