#include "common/launch_pipeline.h"

#include "common/terminal.h"

namespace privbind::launch {

Error Failure::error() const {
  if (const Unavailable* u = unavailable()) return Error::refuse(u->mode, u->reason);
  return std::get<Error>(v_);
}

Failure run(const LaunchOptions& options, Hooks& mode) {
  if (auto s = mode.begin(); !s) return s.error();

  // 1. Resolve every name before any credential change: name service lookups need files
  //    (nsswitch, sssd sockets) that the target user may not be allowed to read.
  auto target = ids::resolveTarget(options.user, options.group, options.noGroups);
  if (!target) return target.error();

  // 2. Check the command's drop plan without changing anything; only this check makes the plan
  //    that the drop below accepts.
  auto command = privdrop::checkPreconditions(mode.commandPlan(*target, !options.allowSetuid));
  if (!command) return command.error();

  // 3. The host, for the mode.
  if (auto s = mode.prepareHost(*target); !s) return s.failure();

  // 4. The one file that runs, found as the target would find it; the mode's checks, -v and
  //    exec all use it.
  auto resolved = resolveCommand(options.command[0], *target);
  if (!resolved) return resolved.error();

  // 5. The mode's checks of it and what outlives privbind.
  if (auto s = mode.prepare(*target, *resolved); !s) return s.failure();

  // 6. The environment: the target's HOME, USER and LOGNAME unless --keep-env, then the mode's.
  Env env = currentEnvironment();
  if (!options.keepEnv) describeUser(env, target->user);
  mode.environment(env);

  // 7. Say what will run, on privbind's own stderr.
  if (options.verbose) mode.banner(*command);
  reportCommand(*resolved, *target, options.verbose);

  // 8. The mode's last step in privbind's own process (cgroup mode: the watcher's report, pid
  //    1's init). Nothing is made for the command before it, so another mode may still run.
  if (auto s = mode.beforeCommand(*target, terminal::wanted()); !s) return s.failure();

  // 9. A terminal on 0-2 gets a pseudo-terminal of its own; the relay is forked here, the
  //    command's process born where the mode wants it, before the mode's last step as root; the
  //    relay never returns from here.
  auto born = terminal::isolate(*target, mode.commandCgroup());
  if (!born) return born.error();

  // 10. The mode's last step as root. From here on no other mode may run and a relay may be
  //     waiting: a failure ends the process at that point (the relay reports it).
  if (auto s = mode.afterTerminal(*born); !s) exitWith(s.error());

  // 11. The drop: returns only on success, a failure ends the process at that point.
  privdrop::drop(*command);

  // 12. The mode's last check, as the target. Partly done is not an option: end here.
  if (auto s = mode.beforeExec(); !s) exitWith(s.error());

  // 13. Exec in place: same pid, the command's status is privbind's.
  return execCommand(*resolved, options.command, env);
}

}  // namespace privbind::launch
