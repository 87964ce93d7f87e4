// A program that leaves a file in MARK_DIR from its preinit function, its constructor, an IFUNC
// resolver and main(), linked against doctor_ctor_lib.c (which leaves its own).
#include <fcntl.h>
#include <unistd.h>

int doctor_ctor_answer(void);

static void mark(const char* name) {
  int fd = open(name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static void preinit(void) { mark(MARK_DIR "/main-preinit"); }
__attribute__((section(".preinit_array"), used)) static void (*preinit_entry)(void) = preinit;
__attribute__((constructor)) static void ctor(void) { mark(MARK_DIR "/main-constructor"); }

static int one(void) { return 1; }
static void* resolve_one(void) {
  mark(MARK_DIR "/main-ifunc");
  return (void*)one;
}
int doctor_ctor_one(void) __attribute__((ifunc("resolve_one")));

int main(void) {
  mark(MARK_DIR "/main");
  return doctor_ctor_answer() + doctor_ctor_one() == 43 ? 0 : 1;
}
