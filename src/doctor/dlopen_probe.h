// Whether a shared library loads, tried with dlopen(3) in a child process so that a broken
// library (a crashing constructor, a missing symbol) cannot take doctor down with it.
#pragma once

#include <string>

namespace privbind::doctor::probe {

// true when dlopen(path, RTLD_NOW) succeeds in a child; otherwise false and error says why.
bool loadableInChild(const std::string& path, std::string& error);

}  // namespace privbind::doctor::probe
