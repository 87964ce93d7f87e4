// cgroup mode's watcher: the table of its descriptors (watcher_layout.h) and its seccomp rules,
// which name those descriptors by number.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include <set>
#include <string_view>

#include "modes/cgroup/watcher.h"
#include "modes/cgroup/watcher_layout.h"

using namespace privbind;
using namespace privbind::cgroupmode;

namespace {

int numberOf(std::string_view name) {
  for (const auto& fd : kWatcherFds)
    if (fd.name == name) return fd.number;
  FAIL("no descriptor named ", name);
  return -1;
}

// The rule for nr whose argument 0 is a descriptor; fails unless there is exactly one.
const seccomp::ArgRule& ruleFor(const std::vector<seccomp::ArgRule>& rules, long nr) {
  const seccomp::ArgRule* found = nullptr;
  for (const auto& r : rules)
    if (r.nr == nr) {
      REQUIRE_MESSAGE(found == nullptr, "two rules for ", nr);
      found = &r;
    }
  REQUIRE_MESSAGE(found != nullptr, "no rule for ", nr);
  return *found;
}

uint32_t argument(const seccomp::ArgRule& rule, int index) {
  for (auto [i, value] : rule.equal)
    if (i == index) return value;
  FAIL("the rule for ", rule.nr, " does not fix argument ", index);
  return ~0u;
}

}  // namespace

TEST_CASE("the watcher's descriptors: distinct, consecutive from 3, the links last") {
  std::set<int> numbers;
  std::set<std::string_view> names;
  for (size_t i = 0; i < kWatcherFds.size(); ++i) {
    CAPTURE(kWatcherFds[i].name);
    CHECK(numbers.insert(kWatcherFds[i].number).second);
    CHECK(names.insert(kWatcherFds[i].name).second);
    CHECK(!kWatcherFds[i].purpose.empty());
    // 0-2 are /dev/null; then one after the other, in the table's order, no gap.
    CHECK(kWatcherFds[i].number == 3 + static_cast<int>(i));
  }
  // The links are a run of four from kFirstLinkFd: only the last entry can be open-ended.
  CHECK(kWatcherFds.back().name == "links");
  CHECK(kWatcherFds.back().number == kFirstLinkFd);
  CHECK(numberOf("parent") == kParentFd);
  CHECK(numberOf("cgroup") == kLockFd);
  CHECK(numberOf("events") == kEventsFd);
  CHECK(numberOf("lifeline") == kLifelineFd);
  CHECK(numberOf("report") == kReportFd);
  CHECK(numberOf("refusals") == kRefusalsFd);
  CHECK(numberOf("notice") == kNoticeFd);
  CHECK(numberOf("command") == kCommandFd);
}

TEST_CASE("the watcher's seccomp rules name the right descriptors") {
  const auto& rules = watcherSeccompAllowlist().rules;
  // Removal and lookup only relative to the parent cgroup directory; the one write is the
  // refusal line to privbind's stderr.
  const auto& unlink = ruleFor(rules, SYS_unlinkat);
  CHECK(argument(unlink, 0) == static_cast<uint32_t>(numberOf("parent")));
  CHECK(argument(unlink, 2) == static_cast<uint32_t>(AT_REMOVEDIR));
  const auto& lookup = ruleFor(rules, SYS_newfstatat);
  CHECK(argument(lookup, 0) == static_cast<uint32_t>(numberOf("parent")));
  const auto& write = ruleFor(rules, SYS_write);
  CHECK(argument(write, 0) == static_cast<uint32_t>(numberOf("notice")));
  CHECK(rules.size() == 3);
  // None of these is also allowed unconditionally, which would make its rule moot; nor open.
  for (long nr : watcherSeccompAllowlist().allowed) {
    CAPTURE(nr);
    CHECK(nr != SYS_unlinkat);
    CHECK(nr != SYS_newfstatat);
    CHECK(nr != SYS_write);
    CHECK(nr != SYS_openat);
  }
}
