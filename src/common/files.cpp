#include "common/files.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/kernel_limits.h"
#include "common/unique_fd.h"

namespace privbind::files {

Result<std::string> readFile(const std::string& path) {
  UniqueFd fd(retryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) return Error::fromErrno("open(" + path + ")", errno);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = retryEintr([&] { return ::read(fd.get(), buf, sizeof buf); });
    if (n < 0) return Error::fromErrno("read(" + path + ")", errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1u << 20)) return Error::refuse(path, "larger than 1 MiB");
  }
  return out;
}

Result<unsigned> readUnprivilegedPortStart() {
  auto text = readFile(PRIVBIND_PORT_START_PATH);
  if (!text) return text.error();
  long v = privbind_parse_port_start(text->data(), text->size());
  if (v < 0) return Error::refuse(PRIVBIND_PORT_START_PATH, "not a port number: '" + *text + "'");
  return static_cast<unsigned>(v);
}

unsigned unprivilegedPortStart() {
  auto v = readUnprivilegedPortStart();
  return v ? *v : PRIVBIND_PORT_START_DEFAULT;
}

}  // namespace privbind::files
