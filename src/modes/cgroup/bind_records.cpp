#include "modes/cgroup/bind_records.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "common/bind_trace.h"
#include "common/error.h"
#include "common/ports.h"

namespace privbind::cgroupmode::records {

namespace {

// bind.bpf.c's struct traced_bind and reasons, kept in step with it.
struct TracedBind {
  uint16_t port;
  uint8_t protocol;
  uint8_t reason;
  uint32_t family;
  uint32_t address[4];
};
constexpr uint8_t kRefusedBound = 3;
constexpr uint8_t kTracedBind = 4;

// The binds traced so far: static, the watcher allocates nothing under its filter.
bindtrace::Tally tally;
char line[8192];

// A stderr that cannot take the line now (a full pipe nobody reads) loses it rather than stop the
// watcher, whose real work is removing the cgroup.
void say(int fd, size_t n) {
  pollfd out{fd, POLLOUT, 0};
  if (poll(&out, 1, 0) == 1 && (out.revents & POLLOUT))
    (void)!retryEintr([&] { return ::write(fd, line, n); });
}

}  // namespace

int onRecord(int noticeFd, const RefusalWords& words, const void* data, size_t size) {
  if (size < 4) return 0;
  uint8_t reason;
  std::memcpy(&reason, static_cast<const char*>(data) + 3, 1);
  if (reason == kRefusedBound) {
    uint16_t port;
    uint8_t protocol;
    std::memcpy(&port, data, 2);
    std::memcpy(&protocol, static_cast<const char*>(data) + 2, 1);
    say(noticeFd, ports::formatRefusal(line, port, protocol, words.boundAtOnce));
  } else if (reason == kTracedBind && size >= sizeof(TracedBind)) {
    TracedBind t;
    std::memcpy(&t, data, sizeof t);
    if (t.family != AF_INET && t.family != AF_INET6) return 0;
    bindtrace::Bind b;
    b.port = t.port;
    b.protocol = t.protocol;
    b.family = static_cast<int>(t.family);
    std::memcpy(b.address, t.address, sizeof b.address);
    say(noticeFd, tally.add(b, line));
  }
  return 0;
}

}  // namespace privbind::cgroupmode::records
