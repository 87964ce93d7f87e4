#include "modes/caps/caps_mode.h"

#include <cstdio>

#include "common/caps.h"
#include "common/launch_pipeline.h"

namespace privbind::capsmode {

namespace {

// Caps mode adds nothing to the launch but its plan and its -v line.
class CapsHooks final : public launch::Hooks {
 public:
  // CAP_NET_BIND_SERVICE kept in every set and raised as ambient: it survives execve(2).
  privdrop::Plan commandPlan(const ids::Target& target, bool noNewPrivs) const override {
    return {.target = target,
            .keep = caps::bit(caps::kNetBindService),
            .ambient = true,
            .noNewPrivs = noNewPrivs};
  }

  void banner(const privdrop::CheckedPlan& command) const override {
    const ids::Target& target = command.target();
    std::fprintf(stderr, "privbind: caps mode: uid %u gid %u, %zu groups, keeping %s (ambient)%s\n",
                 target.user.uid, target.gid, target.groups.size(),
                 caps::names(command.plan().keep, command.lastCap()).c_str(),
                 command.plan().noNewPrivs ? ", no_new_privs" : "");
  }
};

}  // namespace

Error run(const LaunchOptions& options) {
  CapsHooks hooks;
  return launch::run(options, hooks).error();
}

}  // namespace privbind::capsmode
