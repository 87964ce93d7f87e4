/* The session keyring through raw keyctl(2) and add_key(2) calls (no libkeyutils).
 *   keyring_probe add DESC DATA   adds a "user" key to the session keyring, prints its serial
 *   keyring_probe read SERIAL     prints the key's payload
 *   keyring_probe search DESC     looks DESC up from the session keyring, prints its serial
 *   keyring_probe session         prints the session keyring's description (type;uid;gid;perm;desc)
 *   keyring_probe new CMD...      joins a new anonymous session keyring and execs CMD
 * Exit 0 on success, 1 with "error: <errno name>" on stdout when the kernel refuses. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long keyctl(long op, long a2, long a3, long a4, long a5) {
  return syscall(SYS_keyctl, op, a2, a3, a4, a5);
}

static int fail(void) {
  printf("error: %s\n", strerrorname_np(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *op = argv[1];
  if (!strcmp(op, "add") && argc == 4) {
    long id =
        syscall(SYS_add_key, "user", argv[2], argv[3], strlen(argv[3]), KEY_SPEC_SESSION_KEYRING);
    if (id < 0) return fail();
    printf("%ld\n", id);
    return 0;
  }
  if (!strcmp(op, "read") && argc == 3) {
    char buf[256] = {0};
    long n = keyctl(KEYCTL_READ, atol(argv[2]), (long)buf, sizeof buf - 1, 0);
    if (n < 0) return fail();
    printf("%s\n", buf);
    return 0;
  }
  if (!strcmp(op, "search") && argc == 3) {
    long id = keyctl(KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, (long)"user", (long)argv[2], 0);
    if (id < 0) return fail();
    printf("%ld\n", id);
    return 0;
  }
  if (!strcmp(op, "session") && argc == 2) {
    char buf[256] = {0};
    long id = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0);
    if (id < 0) return fail();
    if (keyctl(KEYCTL_DESCRIBE, id, (long)buf, sizeof buf - 1, 0) < 0) return fail();
    printf("%s\n", buf);
    return 0;
  }
  if (!strcmp(op, "new") && argc >= 3) {
    if (keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0) return fail();
    execvp(argv[2], argv + 2);
    return 127;
  }
  return 2;
}
