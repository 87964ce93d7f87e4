// A library that leaves a file in MARK_DIR from each kind of code ld.so could run for it before
// main(): its constructor and an IFUNC resolver. doctor's traced load must leave none.
#include <fcntl.h>
#include <unistd.h>

static void mark(const char* name) {
  int fd = open(name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

__attribute__((constructor)) static void ctor(void) { mark(MARK_DIR "/lib-constructor"); }

static int answer(void) { return 42; }
static void* resolve_answer(void) {
  mark(MARK_DIR "/lib-ifunc");
  return (void*)answer;
}
int doctor_ctor_answer(void) __attribute__((ifunc("resolve_answer")));
