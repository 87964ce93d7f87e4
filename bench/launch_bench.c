/* Times whole launches, interleaved: round r runs command 1, 2, ... K once each, so that drift in
 * the machine's state hits every command alike.
 *
 *   launch_bench ROUNDS WARMUP CMD1... [:: CMD2...]...
 *
 * Each command's stdout and stderr go to /dev/null; a command that exits non-zero stops the
 * benchmark (exit 1), so a number is never the cost of a failure. Prints per command:
 * "cmd=I runs=R median_us=M p99_us=P cpu_median_us=C". The wall time runs from fork to the
 * return of waitpid; the CPU time is the child's user + system time as wait4(2) reports it
 * (its own and that of the children it waited for), which another process's load on the
 * machine inflates much less than the wall time. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  long long x = *(const long long*)a, y = *(const long long*)b;
  return x < y ? -1 : x > y;
}

static long long tv_ns(struct timeval tv) {
  return (long long)tv.tv_sec * 1000000000LL + (long long)tv.tv_usec * 1000LL;
}

/* Returns the wall time of one launch and stores its CPU time in *cpu. */
static long long run(char** argv, long long* cpu) {
  long long t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) != pid) exit(1);
  long long dt = now_ns() - t0;
  *cpu = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "launch_bench: %s failed (status 0x%x)\n", argv[0], status);
    exit(1);
  }
  return dt;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: launch_bench ROUNDS WARMUP CMD... [:: CMD...]...\n");
    return 2;
  }
  int rounds = atoi(argv[1]), warmup = atoi(argv[2]);
  char** cmds[64];
  int k = 0;
  cmds[k++] = &argv[3];
  for (int i = 3; i < argc; ++i) {
    if (strcmp(argv[i], "::") == 0) {
      argv[i] = NULL;
      if (k == 64) return 2;
      cmds[k++] = &argv[i + 1];
    }
  }
  long long* t = calloc((size_t)(rounds * k), sizeof *t);
  long long* cpu = calloc((size_t)(rounds * k), sizeof *cpu);
  if (!t || !cpu) return 1;
  long long ignored;
  for (int r = 0; r < warmup; ++r)
    for (int c = 0; c < k; ++c) run(cmds[c], &ignored);
  for (int r = 0; r < rounds; ++r)
    for (int c = 0; c < k; ++c) t[c * rounds + r] = run(cmds[c], &cpu[c * rounds + r]);
  for (int c = 0; c < k; ++c) {
    qsort(&t[c * rounds], (size_t)rounds, sizeof *t, cmp);
    qsort(&cpu[c * rounds], (size_t)rounds, sizeof *cpu, cmp);
    printf("cmd=%d runs=%d median_us=%.1f p99_us=%.1f cpu_median_us=%.1f\n", c + 1, rounds,
           (double)t[c * rounds + rounds / 2] / 1e3,
           (double)t[c * rounds + (rounds * 99) / 100] / 1e3,
           (double)cpu[c * rounds + rounds / 2] / 1e3);
  }
  return 0;
}
