// launch::run's contract with a mode: the hooks run in the fixed order, and only an Unavailable
// that a hook returns lets -m auto try another mode; every other failure is final.
#include "common/launch_pipeline.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace privbind;

namespace {

// Records each hook it is asked for and fails at the hook named in failAt, the way given.
class Recorder final : public launch::Hooks {
 public:
  mutable std::vector<std::string> calls;  // commandPlan() is const
  std::string failAt;
  bool unavailable = true;

  launch::Step fail(const std::string& hook) {
    calls.push_back(hook);
    if (hook != failAt) return {};
    if (unavailable) return launch::Unavailable{"test mode", "no " + hook + " here"};
    return Error::refuse(hook, "final");
  }
  Status begin() override {
    calls.push_back("begin");
    return {};
  }
  privdrop::Plan commandPlan(const ids::Target& target, bool noNewPrivs) const override {
    calls.push_back("commandPlan");
    return {.target = target, .keep = 0, .ambient = false, .noNewPrivs = noNewPrivs};
  }
  launch::Step prepareHost(const ids::Target&) override { return fail("prepareHost"); }
  launch::Step prepare(const ids::Target&, const launch::Command&) override {
    return fail("prepare");
  }
  void environment(launch::Env&) override { calls.push_back("environment"); }
};

LaunchOptions nobody() {
  LaunchOptions o;
  o.user = "nobody";
  o.command = {"true"};
  return o;
}

}  // namespace

TEST_CASE("Step and Failure: only an Unavailable may fall back; any Status error is final") {
  launch::Step done;
  CHECK(static_cast<bool>(done));
  launch::Step fromStatus = Status(Error::fromErrno("open(x)", ENOENT));
  REQUIRE_FALSE(static_cast<bool>(fromStatus));
  CHECK(fromStatus.failure().unavailable() == nullptr);
  CHECK(fromStatus.failure().error().message() == "open(x): No such file or directory");
  launch::Step cannot = launch::Unavailable{"cgroup mode", "access(/sys/fs/cgroup, W_OK): denied"};
  REQUIRE(cannot.failure().unavailable() != nullptr);
  CHECK(cannot.failure().unavailable()->reason == "access(/sys/fs/cgroup, W_OK): denied");
  // Printed on its own (no other mode ran): "cgroup mode: <reason>", 125.
  CHECK(cannot.failure().error().message() == "cgroup mode: access(/sys/fs/cgroup, W_OK): denied");
  CHECK(cannot.failure().error().exitCode() == kExitFailure);
}

TEST_CASE("launch::run: hooks in order; a hook's Unavailable or final error passes through") {
  if (geteuid() != 0) {
    // Not root: the precondition check refuses, finally, before any host check.
    Recorder r;
    launch::Failure f = launch::run(nobody(), r);
    CHECK(f.unavailable() == nullptr);
    CHECK(r.calls == std::vector<std::string>{"begin", "commandPlan"});
    return;
  }
  for (bool unavailable : {true, false}) {
    CAPTURE(unavailable);
    Recorder host;
    host.failAt = "prepareHost";
    host.unavailable = unavailable;
    launch::Failure f = launch::run(nobody(), host);
    CHECK((f.unavailable() != nullptr) == unavailable);
    // The command is resolved only after the host is known to be usable.
    CHECK(host.calls == std::vector<std::string>{"begin", "commandPlan", "prepareHost"});

    Recorder prep;
    prep.failAt = "prepare";
    prep.unavailable = unavailable;
    f = launch::run(nobody(), prep);
    CHECK((f.unavailable() != nullptr) == unavailable);
    CHECK(prep.calls == std::vector<std::string>{"begin", "commandPlan", "prepareHost", "prepare"});
  }
  // A command that is not found is final whatever the mode: found between the two hooks.
  Recorder r;
  LaunchOptions o = nobody();
  o.command = {"privbind-no-such-command"};
  launch::Failure f = launch::run(o, r);
  CHECK(f.unavailable() == nullptr);
  CHECK(f.error().exitCode() == kExitNotFound);
  CHECK(r.calls == std::vector<std::string>{"begin", "commandPlan", "prepareHost"});
}
