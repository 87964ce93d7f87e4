// The start-up report of the broker helper and the cgroup watcher (common/startup_report.h).
#include "common/startup_report.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace {

privbind::startup::Report reportOf(const std::string& written) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  REQUIRE(write(fds[1], written.data(), written.size()) == static_cast<ssize_t>(written.size()));
  close(fds[1]);
  auto r = privbind::startup::read(fds[0]);
  close(fds[0]);
  return r;
}

}  // namespace

TEST_CASE("startup report: exactly 'ok <pid>' is ready, anything else says why") {
  CHECK(reportOf("ok 1234\n").ready == 1234);
  CHECK_FALSE(reportOf("ok 1234").ready);  // no newline: cut short
  CHECK_FALSE(reportOf("ok 12x\n").ready);
  auto late = reportOf("ok 1234\nerror seccomp: Invalid argument\n");
  CHECK_FALSE(late.ready);
  CHECK(late.message == "seccomp: Invalid argument");
  CHECK(reportOf("error fork(): Resource temporarily unavailable\n").message ==
        "fork(): Resource temporarily unavailable");
  CHECK(reportOf("error a: error b\n").message == "a: error b");
  CHECK(reportOf("lost\n").message == "lost");
  CHECK(reportOf("").message == "exited before it was ready");
}
