// Printing a Report: one screen of text for people (report_text.cpp), or JSON with stable keys
// for scripts (report_json.cpp, keys documented in docs/java-rpath.md).
#pragma once

#include <string>

#include "common/error.h"
#include "doctor/model.h"

namespace privbind::doctor::report {

std::string text(const Report& r);
std::string json(const Report& r);
// The JSON written instead of a report when doctor could not inspect (exit 125):
// {"format":1,"error":{"what":..,"why":..,"message":"privbind: <what>: <why>"},...}.
std::string jsonError(const Error& e);

}  // namespace privbind::doctor::report
