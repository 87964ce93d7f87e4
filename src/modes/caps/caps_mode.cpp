#include "modes/caps/caps_mode.h"

#include <cstdio>

#include "common/caps.h"
#include "common/launch.h"
#include "common/privdrop.h"
#include "common/terminal.h"

namespace privbind::capsmode {

Error run(const LaunchOptions& options) {
  // Resolve everything before the first credential change: name service lookups need files
  // (nsswitch, sssd sockets) that the target user may not be allowed to read.
  auto resolved = ids::resolveTarget(options.user, options.group, options.noGroups);
  if (!resolved) return resolved.error();

  privdrop::Plan plan;
  plan.target = std::move(*resolved);
  plan.keep = caps::bit(caps::kNetBindService);
  plan.ambient = true;
  plan.noNewPrivs = !options.allowSetuid;
  auto checked = privdrop::checkPreconditions(std::move(plan));
  if (!checked) return checked.error();
  const ids::Target& target = checked->target();

  // The one file that runs: found as the target would find it, named by -v, executed below.
  auto command = launch::resolveCommand(options.command[0], target);
  if (!command) return command.error();

  launch::Env env = launch::currentEnvironment();
  if (!options.keepEnv) launch::describeUser(env, target.user);

  if (options.verbose)
    std::fprintf(stderr, "privbind: caps mode: uid %u gid %u, %zu groups, keeping %s (ambient)%s\n",
                 target.user.uid, target.gid, target.groups.size(),
                 caps::names(checked->plan().keep, checked->lastCap()).c_str(),
                 checked->plan().noNewPrivs ? ", no_new_privs" : "");
  launch::reportCommand(*command, target, options.verbose);

  // A terminal on 0-2 gets a pseudo-terminal of its own in between; in the relay this never
  // returns. Then the drop, which returns only on success (a failure ends the process there).
  if (auto s = terminal::isolate(target); !s) return s.error();
  privdrop::drop(*checked);
  return launch::execCommand(*command, options.command, env);
}

}  // namespace privbind::capsmode
