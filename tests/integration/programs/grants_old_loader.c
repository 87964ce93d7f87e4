/* Installs "an older privbind's" standing-grant programs the way that privbind would have:
 * loads OBJ with the maps pinned at MAP and CONFIG, links its grants_bind4 and grants_bind6 at
 * the cgroup v2 root CGROUP, and pins the links at LINK4 and LINK6 (replacing what is there).
 *
 *   grants_old_loader OBJ MAP CONFIG CGROUP LINK4 LINK6
 *
 * Prints "installed" and exits 0, or the failing step and exits 1. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char* what) {
  printf("%s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 7) return 2;
  struct bpf_object* obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) return fail("open");
  int map = bpf_obj_get(argv[2]), config = bpf_obj_get(argv[3]);
  if (map < 0 || config < 0) return fail("bpf_obj_get");
  if (bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, "grants"), map) != 0 ||
      bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, "grants_config"), config) != 0)
    return fail("reuse_fd");
  if (bpf_object__load(obj) != 0) return fail("load");
  int cg = open(argv[4], O_RDONLY | O_DIRECTORY);
  if (cg < 0) return fail("open cgroup");
  const char* names[2] = {"grants_bind4", "grants_bind6"};
  enum bpf_attach_type types[2] = {BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET6_BIND};
  for (int i = 0; i < 2; ++i) {
    struct bpf_program* prog = bpf_object__find_program_by_name(obj, names[i]);
    if (!prog) return fail("find program");
    int link = bpf_link_create(bpf_program__fd(prog), cg, types[i], NULL);
    if (link < 0) return fail("link_create");
    /* The new link first, then the old pin goes: both run for a moment, never neither. */
    unlink(argv[5 + i]);
    if (bpf_obj_pin(link, argv[5 + i]) != 0) return fail("pin");
  }
  printf("installed\n");
  return 0;
}
