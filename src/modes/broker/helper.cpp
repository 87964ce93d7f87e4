#include "modes/broker/helper.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/bind_trace.h"
#include "common/error.h"
#include "common/ports.h"
#include "common/unique_fd.h"
#include "modes/broker/bound_sockets.h"
#include "modes/broker/seccomp.h"
#include "shim/protocol.h"

namespace privbind::broker {

namespace {

using Clock = std::chrono::steady_clock;

// Room for more than the two descriptors a request carries, so that "three descriptors" is seen
// and refused as such; anything beyond is dropped and closed by the kernel and flagged with
// MSG_CTRUNC.
constexpr size_t kMaxFds = 8;
// Refusal lines: at most kLogBudget per kLogWindow, then one line saying how many were left out.
// A looping app must not fill the disk behind stderr (journald, a log file).
constexpr unsigned kLogBudget = 10;
constexpr auto kLogWindow = std::chrono::seconds(10);

void writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = retryEintr([&] { return ::write(fd, text.data() + done, text.size() - done); });
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Reports a start-up failure to the launcher ("error <why>", common/startup_report.h) and exits;
// nothing has been served yet.
[[noreturn]] void fail(int status, const std::string& message) {
  writeAll(status, "error " + message + "\n");
  _exit(kExitFailure);
}

// The caller's stderr, while privbind's process lives (helperMain, Server::endNotices); -1 after.
int noticeFd = -1;

// One line on the caller's stderr, or nowhere once privbind's process is gone.
void notice(const std::string& text) {
  if (noticeFd >= 0) writeAll(noticeFd, text);
}

void log(const std::string& line) { notice("privbind: helper: " + line + "\n"); }

// Closes every descriptor but the ones kept, and puts /dev/null on 0, 1 and 2 (unless kept) so
// that no received descriptor can land there and be written to by accident.
Status closeOthers(std::vector<int> keep) {
  if (auto s = closeAllExcept(0, keep); !s) return s;
  std::sort(keep.begin(), keep.end());
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return Error::fromErrno("open(/dev/null)", errno);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    if (null != fd && !std::binary_search(keep.begin(), keep.end(), fd) && dup2(null, fd) < 0)
      return Error::fromErrno("dup2(/dev/null, " + std::to_string(fd) + ")", errno);
  if (null > STDERR_FILENO) {
    UniqueFd closer(null);
  }
  return {};
}

FdFacts factsOf(int fd) {
  FdFacts f;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return f;
  f.isSocket = true;
  socklen_t len = sizeof f.domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &f.domain, &len) != 0) f.domain = -1;
  len = sizeof f.type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &f.type, &len) != 0) f.type = -1;
  len = sizeof f.protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &f.protocol, &len) != 0) f.protocol = -1;
  return f;
}

// Lines about refused records, rate-limited per window.
class RefusalLog {
 public:
  void write(const std::string& line) {
    flush();
    if (used_ < kLogBudget) {
      ++used_;
      log(line);
    } else {
      ++suppressed_;
    }
  }

  // Starts a new window once the current one is over, saying how many lines it left out.
  void flush() {
    const auto now = Clock::now();
    if (now - windowStart_ < kLogWindow) return;
    if (suppressed_ > 0)
      log(std::to_string(suppressed_) + " more refusals in " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kLogWindow).count()) +
          " s not logged");
    windowStart_ = now;
    used_ = 0;
    suppressed_ = 0;
  }

  bool holdsBack() const { return suppressed_ > 0; }

 private:
  Clock::time_point windowStart_{};
  unsigned used_ = 0;
  unsigned long suppressed_ = 0;
};

// -n reached: the helper keeps nothing. capset(2) with empty sets; the bounding set already
// holds nothing else, and no_new_privs and the seccomp filter (no execve) keep it from coming
// back. A helper that cannot drop it stops serving (fail closed).
void dropCapability() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, data) != 0) {
    log(std::string("capset(): ") + std::strerror(errno));
    _exit(kExitFailure);
  }
}

class Server {
 public:
  Server(int channel, int privbind, std::optional<BoundSockets> bound, const HelperConfig& config)
      : channel_(channel),
        privbind_(privbind),
        bound_sockets_(std::move(bound)),
        atOnce_(config.maxBound ? bindtrace::boundAtOnceReason(*config.maxBound) : ""),
        config_(config),
        notInPorts_(
            ports::refusalReason(ports::Refusal::kNotInPorts, config.policy.ports, config.binds)),
        bindsUsedUp_(ports::refusalReason(ports::Refusal::kBindsUsedUp, config.policy.ports,
                                          config.binds)) {}

  [[noreturn]] void serve() {
    for (;;) {
      // The channel, and privbind's pidfd while the helper still writes on its stderr.
      pollfd fds[] = {{channel_, POLLIN, 0}, {privbind_, POLLIN, 0}};
      // While lines are held back, wake up once a second to report them when the window ends.
      const int timeout = refusals_.holdsBack() ? 1000 : -1;
      int n = retryEintr([&] { return ::poll(fds, privbind_ >= 0 ? 2 : 1, timeout); });
      const pollfd& fd = fds[0];
      if (n < 0 || (fd.revents & POLLNVAL)) {
        log(std::string("poll: ") + std::strerror(n < 0 ? errno : EBADF));
        _exit(kExitFailure);
      }
      // privbind's process is gone (a pidfd is readable once it has exited, pidfd_open(2)): let
      // go of the caller's stderr, whoever still holds the channel.
      if (privbind_ >= 0 && fds[1].revents) endNotices();
      refusals_.flush();
      // Records still queued are answered before a hang-up is acted on: recvmsg(2) returns them
      // first, and end-of-file only once the queue is empty.
      for (;;) {
        Outcome o = receiveOne();
        if (o == Outcome::kDrained) break;
        if (o == Outcome::kHangUp) _exit(kExitOk);
        if (o == Outcome::kError) {
          // Unexpected (ENOMEM...): wait a little rather than spin on a readable channel.
          (void)::poll(nullptr, 0, 100);
          break;
        }
      }
    }
  }

 private:
  enum class Outcome { kHandled, kDrained, kHangUp, kError };

  void endNotices() {
    UniqueFd(noticeFd).reset();
    noticeFd = -1;
    UniqueFd(privbind_).reset();
    privbind_ = -1;
  }

  // Reads one record from the channel and answers it on its reply end.
  Outcome receiveOne() {
    // One byte more than a request would fill: a longer record shows as MSG_TRUNC or as a
    // size mismatch, never as a valid request.
    unsigned char buf[sizeof(privbind_request) + 1];
    union {
      char data[CMSG_SPACE(sizeof(int) * kMaxFds) + CMSG_SPACE(sizeof(ucred))];
      cmsghdr align;
    } control;
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data;
    msg.msg_controllen = sizeof control.data;
    // MSG_CMSG_CLOEXEC: received descriptors are never inherited by anything.
    ssize_t n =
        retryEintr([&] { return ::recvmsg(channel_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC); });
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Outcome::kDrained : Outcome::kError;

    // Take ownership of every descriptor received, before anything else can go wrong: they
    // are all closed when `received` goes out of scope, whatever the outcome.
    std::vector<UniqueFd> received;
    bool otherControl = false;
    int rights = 0, creds = 0;
    Peer peer;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
        ++rights;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
          received.emplace_back(fd);
        }
      } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
                 cm->cmsg_len == CMSG_LEN(sizeof(ucred))) {
        ++creds;
        ucred c;
        std::memcpy(&c, CMSG_DATA(cm), sizeof c);
        peer = Peer{c.pid, c.uid};
      } else {
        otherControl = true;
      }
    }
    if (rights > 1 || creds > 1) otherControl = true;
    // A zero-length read with nothing attached: end-of-file once every copy of the command's end
    // is closed (POLLHUP), else an empty record, which is malformed like any other.
    if (n == 0 && received.empty() && msg.msg_controllen == 0) {
      pollfd fd{channel_, POLLIN, 0};
      if (::poll(&fd, 1, 0) == 1 && (fd.revents & POLLHUP)) return Outcome::kHangUp;
    }

    std::vector<FdFacts> facts;
    facts.reserve(received.size());
    for (const auto& fd : received) facts.push_back(factsOf(fd.get()));
    Received message;
    message.bytes = std::span<const unsigned char>(buf, static_cast<size_t>(n));
    message.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    message.controlTruncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    message.otherControl = otherControl;
    message.fds = facts;
    Decision d = decodeRequest(message, peer, config_.policy);

    // Past -n, or --max-bound sockets open: refused as the kernel would refuse the app's own
    // bind. The open sockets are counted only when the limit may be reached (a sock_diag dump).
    const bool usedUp = d.error == 0 && config_.binds && bound_ >= *config_.binds;
    const bool full = d.error == 0 && !usedUp && config_.maxBound &&
                      bound_sockets_->countOpen() >= *config_.maxBound;
    int err = usedUp || full ? EACCES : d.error;
    if (err == 0) {
      const int fd = received[0].get();
      if (config_.reuseport && config_.reuseport->contains(d.port)) {
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) err = errno;
      }
      // The one privileged act: CAP_NET_BIND_SERVICE lets this bind(2) take a reserved port
      // for the app's own socket (capabilities(7)). Its options, set by the app, stay.
      if (err == 0 &&
          ::bind(fd, reinterpret_cast<const sockaddr*>(&d.address), d.addressLength) != 0)
        err = errno;
    }

    // Log first, then answer: once the app has its reply, the line is already on stderr.
    const std::string who = "app pid " + std::to_string(peer.pid);
    if (usedUp || full || d.policyRefusal) {
      // Once per port, with or without -v; -v adds the line of each refused bind.
      if (!reported_.test(d.port)) {
        reported_.set(d.port);
        char line[512];
        size_t len = ports::formatRefusal(line, d.port, facts[0].protocol,
                                          usedUp ? bindsUsedUp_
                                          : full ? atOnce_
                                                 : notInPorts_);
        notice(std::string(line, len));
      }
      if (config_.verbose)
        refusals_.write(who + " bind " + formatAddress(d.address) + ": " + std::strerror(err) +
                        " (" +
                        (usedUp ? "-n " + std::to_string(*config_.binds) + " used up"
                         : full ? "--max-bound " + std::to_string(*config_.maxBound) + " bound"
                                : d.reason) +
                        ")");
    } else if (d.error == 0) {
      if (err == 0) bound(received[0].get(), facts[0], d);
      if (config_.verbose)
        log(who + " bind " + formatAddress(d.address) + ": " +
            (err == 0 ? std::string("ok") : std::strerror(err)));
    } else if (config_.verbose) {
      refusals_.write(who + ": refused: " + d.reason + (d.replyable ? "" : "; no reply end"));
    }

    if (d.replyable) {
      privbind_reply reply{};
      reply.magic = PRIVBIND_PROTO_MAGIC;
      reply.version = PRIVBIND_PROTO_VERSION;
      reply.error = err;
      // Only on the private end that came with the record. MSG_DONTWAIT: an end whose buffer
      // the app filled must not stop the helper; MSG_NOSIGNAL: nor kill it with SIGPIPE.
      (void)retryEintr([&] {
        return ::send(received[1].get(), &reply, sizeof reply, MSG_NOSIGNAL | MSG_DONTWAIT);
      });
    }

    if (d.error == 0 && !usedUp && err == 0 && config_.binds && ++bound_ >= *config_.binds) {
      dropCapability();
      if (config_.verbose)
        log("-n " + std::to_string(*config_.binds) +
            " reached: CAP_NET_BIND_SERVICE dropped; later privileged binds get EACCES");
    }
    return Outcome::kHandled;
  }

  // A privileged bind that succeeded: counted for --max-bound, said for --trace-binds.
  void bound(int fd, const FdFacts& facts, const Decision& d) {
    struct stat st {};
    if (bound_sockets_ && fstat(fd, &st) == 0)
      bound_sockets_->add(st.st_ino, facts.domain, facts.protocol);
    if (!config_.traceBinds) return;
    bindtrace::Bind b;
    b.port = d.port;
    b.protocol = facts.protocol;
    b.family = d.address.ss_family;
    if (b.family == AF_INET)
      std::memcpy(b.address, &reinterpret_cast<const sockaddr_in&>(d.address).sin_addr, 4);
    else if (b.family == AF_INET6)
      std::memcpy(b.address, &reinterpret_cast<const sockaddr_in6&>(d.address).sin6_addr, 16);
    char line[8192];
    notice(std::string(line, tally_.add(b, line)));
  }

  int channel_;
  int privbind_;  // a pidfd of privbind's process while noticeFd is open, else -1
  std::optional<BoundSockets> bound_sockets_;  // --max-bound: the sockets bound so far
  const std::string atOnce_;                   // --max-bound's refusal reason
  bindtrace::Tally tally_;                     // --trace-binds
  const HelperConfig& config_;
  const std::string notInPorts_;  // the reasons of the once-per-port lines
  const std::string bindsUsedUp_;
  RefusalLog refusals_;          // -v's lines about refused records
  std::bitset<65536> reported_;  // ports whose refusal has been said
  unsigned bound_ = 0;
};

}  // namespace

void helperMain(int channel, int status, const privdrop::CheckedPlan& plan,
                const HelperConfig& config) {
  // Writing to a vanished stderr or client must not kill the helper. Terminal signals meant
  // for the foreground job (Ctrl-C, Ctrl-Z, hangup) must not end or stop it either: its
  // lifetime is the channel's, and a stopped helper would make every privileged bind wait.
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU})
    signal(sig, SIG_IGN);

  // 1. The caller's stderr, kept as noticeFd for as long as privbind's process lives: a pidfd
  //    of it (taken now, while privbind waits for "ok": the pid cannot have been reused) says
  //    when it is gone. Without pidfds (Linux before 5.3) the helper writes nothing there.
  int privbind = static_cast<int>(syscall(SYS_pidfd_open, config.privbind, 0));
  if (privbind >= 0) {
    noticeFd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (noticeFd < 0) {
      UniqueFd(privbind).reset();
      privbind = -1;
    }
  }
  // 2. Nothing inherited but what the helper needs: the launcher's other descriptors (and the
  //    command's end of the channel, which would keep the helper alive forever) are closed, and
  //    fds 0-2 are /dev/null: the helper holds none of the caller's stdio but noticeFd.
  std::vector<int> keep = {channel, status};
  if (noticeFd >= 0) keep.insert(keep.end(), {noticeFd, privbind});
  if (auto s = closeOthers(keep); !s) fail(status, s.error().message());

  // 3. Every record gets its sender's credentials from the kernel (SCM_CREDENTIALS, unix(7)).
  int one = 1;
  if (setsockopt(channel, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0)
    fail(status, Error::fromErrno("setsockopt(SO_PASSCRED)", errno).message());

  // 4. To the command's uid and gid, no supplementary groups, CAP_NET_BIND_SERVICE in permitted
  //    and effective only, bounding set shrunk to it, no_new_privs; verified from /proc.
  privdrop::drop(plan, status);  // on failure: the error on the status pipe, _exit(125)

  // 5. Not dumpable: the app runs as the same uid, so without this it could ptrace the helper
  //    or read its memory. Set after the uid change, which resets the flag (prctl(2)).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(status, Error::fromErrno("prctl(PR_SET_DUMPABLE, 0)", errno).message());
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(status, "verifying credentials: the helper is still dumpable");
  prctl(PR_SET_NAME, "privbind-helper", 0, 0, 0);

  const std::string ready = "ok " + std::to_string(getpid()) + "\n";

  // --max-bound: the sock_diag socket, before the filter forbids socket(2).
  std::optional<BoundSockets> bound;
  if (config.maxBound) {
    auto b = BoundSockets::open();
    if (!b) fail(status, b.error().message());
    bound = std::move(*b);
  }

  // 6. From here on only the serving loop's few system calls (seccomp(2)); no_new_privs, which
  //    the filter needs, was set by the drop.
  if (auto s = installSeccomp(); !s) fail(status, s.error().message());

  // 7. Ready: the launcher may now run the command.
  writeAll(status, ready);
  { UniqueFd done(status); }  // EOF for the launcher

  Server(channel, privbind, std::move(bound), config).serve();
}

}  // namespace privbind::broker
