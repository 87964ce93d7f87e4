#include "common/error.h"

#include <cstring>

namespace privbind {

Error Error::fromErrno(std::string what, int err, int exitCode) {
  return Error(std::move(what), std::strerror(err), err, exitCode);
}

Error Error::refuse(std::string what, std::string why, int exitCode) {
  return Error(std::move(what), std::move(why), 0, exitCode);
}

Error Error::usage(std::string what, std::string why) {
  Error e(std::move(what), std::move(why), 0, kExitFailure);
  e.usage_ = true;
  return e;
}

std::string Error::message() const {
  if (what_.empty()) return why_;
  return what_ + ": " + why_;
}

Error& Error::prefix(const std::string& context) {
  what_ = what_.empty() ? context : context + ": " + what_;
  return *this;
}

}  // namespace privbind
