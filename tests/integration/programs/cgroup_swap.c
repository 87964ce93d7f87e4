/* Plays the owner of a delegated parent cgroup against privbind: as fast as it can, it removes
 * each privbind-* directory in DIR that is not its own (privbind's, empty until the command is
 * in it) and makes one of its own under the same name, until STOPFILE exists. Prints how many it
 * replaced.
 *
 *   cgroup_swap DIR STOPFILE */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return 1;
  long replaced = 0;
  while (access(argv[2], F_OK) != 0) {
    DIR* d = opendir(argv[1]);
    if (!d) return 1;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      struct stat st;
      if (strncmp(e->d_name, "privbind-", 9) != 0) continue;
      if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid == getuid()) continue;
      if (unlinkat(dfd, e->d_name, AT_REMOVEDIR) == 0 && mkdirat(dfd, e->d_name, 0755) == 0)
        ++replaced;
    }
    closedir(d);
  }
  printf("%ld\n", replaced);
  return 0;
}
