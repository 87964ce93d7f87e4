#include "common/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

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

unsigned unprivilegedPortStart() {
  auto text = readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  if (!text) return 1024;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc()) return 1024;
  return v;
}

}  // namespace privbind::files
