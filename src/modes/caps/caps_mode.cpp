#include "modes/caps/caps_mode.h"

#include <cstdio>

#include "common/caps.h"
#include "common/launch.h"
#include "common/privdrop.h"

namespace privbind::capsmode {

Error run(const LaunchOptions& options) {
  // Resolve everything before the first credential change: name service lookups need files
  // (nsswitch, sssd sockets) that the target user may not be allowed to read.
  auto target = ids::resolveTarget(options.user, options.group, options.noGroups);
  if (!target) return target.error();

  privdrop::Plan plan;
  plan.target = std::move(*target);
  plan.keep = caps::bit(caps::kNetBindService);
  plan.ambient = true;
  plan.noNewPrivs = !options.allowSetuid;
  if (auto s = privdrop::checkPreconditions(plan); !s) return s.error();

  // The one file that runs: found as the target would find it, named by -v, executed below.
  auto command = launch::resolveCommand(options.command[0], plan.target);
  if (!command) return command.error();

  launch::Env env = launch::currentEnvironment();
  if (!options.keepEnv) launch::describeUser(env, plan.target.user);

  if (options.verbose)
    std::fprintf(stderr, "privbind: caps mode: uid %u gid %u, %zu groups, keeping %s (ambient)%s\n",
                 plan.target.user.uid, plan.target.gid, plan.target.groups.size(),
                 caps::names(plan.keep, plan.lastCap).c_str(),
                 plan.noNewPrivs ? ", no_new_privs" : "");
  launch::reportCommand(*command, plan.target, options.verbose);

  if (auto s = privdrop::drop(plan); !s) return s.error();
  return launch::execCommand(*command, options.command, env);
}

}  // namespace privbind::capsmode
