// elf::read and elf::scriptInterpreter on hostile files: doctor runs them, as root, on whatever
// binary the user names. The input is written to a memfd and read back through /proc/self/fd,
// so libelf sees a real file. Invariants: no crash or sanitizer report, and what an accepted file
// yields is self-consistent.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/elf.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace privbind;
  static const int fd = memfd_create("privbind-fuzz-elf", MFD_CLOEXEC);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  FUZZ_CHECK(fd >= 0);
  FUZZ_CHECK(ftruncate(fd, 0) == 0);
  FUZZ_CHECK(size == 0 || pwrite(fd, data, size, 0) == static_cast<ssize_t>(size));

  auto info = elf::read(path);
  if (!info) {
    FUZZ_CHECK(!info.error().why().empty());
  } else {
    FUZZ_CHECK(info->elfClass == 32 || info->elfClass == 64);
    FUZZ_CHECK(info->hasRpath || info->rpath.empty());
    FUZZ_CHECK(info->hasRunpath || info->runpath.empty());
    FUZZ_CHECK(info->interpreter.size() <= 4096);
    FUZZ_CHECK(!info->machineName.empty());
    FUZZ_CHECK(size >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F');
  }
  auto interp = elf::scriptInterpreter(path);
  if (interp) {
    FUZZ_CHECK(size >= 3 && data[0] == '#' && data[1] == '!');
    FUZZ_CHECK(!interp->empty() && interp->size() <= 254);
    FUZZ_CHECK(interp->find_first_of(" \t\n") == std::string::npos);
  }
  return 0;
}
