// The one error type of privbind and the Result<T> that fallible functions return.
//
// An Error names what failed (the call and its arguments, or the object) and why (errno text or a
// sentence). It is printed in one format, "privbind: <what>: <why>", by printError(): from main(),
// or from exitWith() where a process must end at the point of failure (a partly dropped process).
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace privbind {

// Exit codes, like env(1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 125;  // privbind itself failed or refused
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

class Error {
 public:
  // From a failed system call: why = strerror(err).
  static Error fromErrno(std::string what, int err, int exitCode = kExitFailure);
  // From a refusal or a failed check: why is a sentence.
  static Error refuse(std::string what, std::string why, int exitCode = kExitFailure);
  // A command-line mistake: main() adds "Try 'privbind --help'." under the message.
  static Error usage(std::string what, std::string why);

  const std::string& what() const { return what_; }
  const std::string& why() const { return why_; }
  int exitCode() const { return exitCode_; }
  bool isUsage() const { return usage_; }
  // "<what>: <why>"
  std::string message() const;

  // Adds context in front of what: "reading /etc/x" + "open(...)".
  Error& prefix(const std::string& context);

 private:
  Error(std::string what, std::string why, int exitCode)
      : what_(std::move(what)), why_(std::move(why)), exitCode_(exitCode) {}
  std::string what_;
  std::string why_;
  int exitCode_ = kExitFailure;
  bool usage_ = false;
};

// A value or an Error. Small on purpose: std::expected is C++23.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error& error() { return error_; }

 private:
  Error error_ = Error::refuse("", "");
  bool ok_ = true;
};

using Status = Result<void>;

// Writes "privbind: <what>: <why>" (and "Try '<help> --help'." after a usage error) to stderr
// with one write(2): the one output format of every refusal. help: the command whose --help a
// usage error points to ("privbind doctor" for doctor's own options).
void printError(const Error& error, const char* help = "privbind");

// Prints the error and ends the process with _exit(2) at once: no destructor, no atexit handler,
// no stdio flush runs in a process whose state is not one privbind vouches for (minijail's pdie).
[[noreturn]] void exitWith(const Error& error);

// Retries a system call while it fails with EINTR; the one place privbind does so.
template <class F>
auto retryEintr(F&& call) -> decltype(call()) {
  decltype(call()) rc;
  do {
    rc = call();
  } while (rc == -1 && errno == EINTR);
  return rc;
}

}  // namespace privbind
