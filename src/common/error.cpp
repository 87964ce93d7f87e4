#include "common/error.h"

#include <unistd.h>

#include <cstring>

namespace privbind {

Error Error::fromErrno(std::string what, int err, int exitCode) {
  return Error(std::move(what), std::strerror(err), exitCode);
}

Error Error::refuse(std::string what, std::string why, int exitCode) {
  return Error(std::move(what), std::move(why), exitCode);
}

Error Error::usage(std::string what, std::string why) {
  Error e(std::move(what), std::move(why), kExitFailure);
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

void printError(const Error& error, const char* help) {
  std::string line = "privbind: " + error.message() + "\n";
  if (error.isUsage()) line += std::string("Try '") + help + " --help'.\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n =
        retryEintr([&] { return ::write(STDERR_FILENO, line.data() + done, line.size() - done); });
    if (n <= 0) return;  // nowhere left to say it; the exit code still does
    done += static_cast<size_t>(n);
  }
}

void exitWith(const Error& error) {
  printError(error);
  _exit(error.exitCode());
}

}  // namespace privbind
