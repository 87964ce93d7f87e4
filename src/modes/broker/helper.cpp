#include "modes/broker/helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "modes/broker/seccomp.h"
#include "shim/protocol.h"

// close_range(2) has the same number on every architecture (Linux 5.9); older headers lack it.
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace privbind::broker {

namespace {

using Clock = std::chrono::steady_clock;

// Connections accepted but not yet answered. A client that connects and never sends only
// occupies a slot until kPendingTimeout; past kMaxPending the listener is not polled, so the
// kernel's backlog (and the shim's connect timeout) applies back-pressure.
constexpr size_t kMaxPending = 256;
constexpr auto kPendingTimeout = std::chrono::seconds(5);
// Room for more than one descriptor, so that "two descriptors" is seen and refused as such;
// anything beyond is dropped and closed by the kernel and flagged with MSG_CTRUNC.
constexpr size_t kMaxFds = 8;

struct Pending {
  UniqueFd conn;
  Peer peer;
  Clock::time_point since;
};

void writeAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = retryEintr([&] { return ::write(fd, text.data() + done, text.size() - done); });
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Reports a start-up failure to the launcher and exits; nothing has been served yet.
[[noreturn]] void fail(int status, const std::string& message) {
  writeAll(status, message);
  _exit(kExitFailure);
}

void log(const std::string& line) { writeAll(STDERR_FILENO, "privbind: helper: " + line + "\n"); }

// Closes every descriptor but the ones kept (close_range(2)), and puts /dev/null on 0 and 1
// so that no accepted connection can land there and be written to by accident.
// close_range(2), or one close at a time up to the descriptor limit on kernels before 5.9.
Status closeRange(unsigned first, unsigned last) {
  if (syscall(SYS_close_range, first, last, 0) == 0) return {};
  if (errno != ENOSYS)
    return Error::fromErrno(
        "close_range(" + std::to_string(first) + ", " + std::to_string(last) + ")", errno);
  rlimit rl{};
  unsigned limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20)
                       ? static_cast<unsigned>(rl.rlim_cur)
                       : (1u << 20);
  for (unsigned fd = first; fd <= last && fd < limit; ++fd) {
    UniqueFd closer(static_cast<int>(fd));  // EBADF for numbers not in use: harmless
  }
  return {};
}

Status closeOthers(std::vector<int> keep) {
  keep.push_back(STDERR_FILENO);
  std::sort(keep.begin(), keep.end());
  unsigned first = 0;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first)
      if (auto s = closeRange(first, static_cast<unsigned>(fd) - 1); !s) return s;
    first = static_cast<unsigned>(fd) + 1;
  }
  if (auto s = closeRange(first, ~0U); !s) return s;
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return Error::fromErrno("open(/dev/null)", errno);
  for (int fd : {STDIN_FILENO, STDOUT_FILENO})
    if (null != fd && !std::binary_search(keep.begin(), keep.end(), fd) && dup2(null, fd) < 0)
      return Error::fromErrno("dup2(/dev/null, " + std::to_string(fd) + ")", errno);
  if (null > STDOUT_FILENO) {
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
  return f;
}

class Server {
 public:
  Server(int listener, int lifeline, const HelperConfig& config)
      : listener_(listener), lifeline_(lifeline), config_(config) {}

  [[noreturn]] void serve() {
    std::vector<pollfd> fds;
    for (;;) {
      fds.clear();
      fds.push_back({lifeline_, POLLIN, 0});
      const bool paused = Clock::now() < acceptPausedUntil_;
      const bool accepting = pending_.size() < kMaxPending && !paused;
      fds.push_back({listener_, static_cast<short>(accepting ? POLLIN : 0), 0});
      for (const auto& p : pending_) fds.push_back({p.conn.get(), POLLIN, 0});
      int timeout = paused ? 100 : pending_.empty() ? -1 : 1000;
      int n = retryEintr([&] { return ::poll(fds.data(), fds.size(), timeout); });
      if (n < 0) {
        log(std::string("poll: ") + std::strerror(errno));
        _exit(kExitFailure);
      }
      // The lifeline's write end is held only by the command's processes. POLLHUP: the last
      // one has exited or closed it; nobody is left to serve (pipe(7)).
      if (fds[0].revents != 0) _exit(kExitOk);

      // Answer ready connections; those handled are dropped from pending_.
      const auto now = Clock::now();
      std::vector<Pending> keep;
      keep.reserve(pending_.size());
      for (size_t i = 0; i < pending_.size(); ++i) {
        const short rev = fds[i + 2].revents;
        if (rev == 0) {
          if (now - pending_[i].since < kPendingTimeout) keep.push_back(std::move(pending_[i]));
          continue;  // else: a silent client; closing its connection frees the slot
        }
        if (!handle(pending_[i])) keep.push_back(std::move(pending_[i]));
      }
      pending_ = std::move(keep);

      if (fds[1].revents & POLLIN) acceptAll();
    }
  }

 private:
  void acceptAll() {
    while (pending_.size() < kMaxPending) {
      int c = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        // Out of descriptors or memory (the app, same uid, may even have lowered the helper's
        // RLIMIT_NOFILE with prlimit(2)): the connection stays queued and the listener stays
        // readable, so pause accepting briefly instead of spinning on poll.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          acceptPausedUntil_ = Clock::now() + std::chrono::milliseconds(100);
        return;  // EAGAIN: drained; ECONNABORTED and the like: try again on the next poll
      }
      UniqueFd conn(c);
      ucred cred{};
      socklen_t len = sizeof cred;
      if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) continue;
      // Another user's connection is closed unread: its descriptors never reach this process.
      if (cred.uid != config_.policy.uid) {
        if (config_.verbose)
          log("pid " + std::to_string(cred.pid) + ": uid " + std::to_string(cred.uid) +
              " is not the command's user; connection closed");
        continue;
      }
      pending_.push_back({std::move(conn), Peer{cred.pid, cred.uid, cred.gid}, Clock::now()});
    }
  }

  // Reads the one request of a connection and answers it. Returns false when the connection
  // should stay pending (nothing to read yet).
  bool handle(Pending& p) {
    // One byte more than a request would fill: a longer record shows as MSG_TRUNC or as a
    // size mismatch, never as a valid request.
    unsigned char buf[sizeof(privbind_request) + 1];
    union {
      char data[CMSG_SPACE(sizeof(int) * kMaxFds)];
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
        retryEintr([&] { return ::recvmsg(p.conn.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC); });
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;

    // Take ownership of every descriptor received, before anything else can go wrong: they
    // are all closed when `received` goes out of scope, whatever the outcome.
    std::vector<UniqueFd> received;
    bool otherControl = false;
    if (n >= 0) {
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
          size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
          for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            received.emplace_back(fd);
          }
        } else {
          otherControl = true;
        }
      }
    }
    if (n <= 0) return true;  // EOF (the client gave up) or an error: nothing to answer

    std::vector<FdFacts> facts;
    facts.reserve(received.size());
    for (const auto& fd : received) facts.push_back(factsOf(fd.get()));
    Received message;
    message.bytes = std::span<const unsigned char>(buf, static_cast<size_t>(n));
    message.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    message.controlTruncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    message.otherControl = otherControl;
    message.fds = facts;
    Decision d = decodeRequest(message, p.peer, config_.policy);

    int err = d.error;
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
    const std::string who = "pid " + std::to_string(p.peer.pid);
    if (d.error == 0 || d.policyRefusal) {
      if (config_.verbose || d.policyRefusal)
        log(who + " bind " + formatAddress(d.address) + ": " +
            (err == 0 ? std::string("ok") : std::strerror(err)) +
            (d.policyRefusal ? " (" + d.reason + ")" : ""));
    } else if (config_.verbose) {
      log(who + ": refused: " + d.reason);
    }

    privbind_reply reply{};
    reply.magic = PRIVBIND_PROTO_MAGIC;
    reply.version = PRIVBIND_PROTO_VERSION;
    reply.error = err;
    // MSG_NOSIGNAL: a client that hung up must not kill the helper with SIGPIPE.
    (void)retryEintr(
        [&] { return ::send(p.conn.get(), &reply, sizeof reply, MSG_NOSIGNAL | MSG_DONTWAIT); });

    if (d.error == 0 && err == 0 && config_.binds && ++bound_ >= *config_.binds) {
      // -n reached: exiting closes the listener, and later connects fail at once
      // (ECONNREFUSED), which the shim turns into EACCES.
      _exit(kExitOk);
    }
    return true;
  }

  int listener_;
  int lifeline_;
  const HelperConfig& config_;
  std::vector<Pending> pending_;
  Clock::time_point acceptPausedUntil_{};
  unsigned bound_ = 0;
};

}  // namespace

void helperMain(int listener, int lifeline, int status, const privdrop::CheckedPlan& plan,
                const HelperConfig& config) {
  // Writing to a vanished stderr or client must not kill the helper. Terminal signals meant
  // for the foreground job (Ctrl-C, Ctrl-Z, hangup) must not end or stop it either: its
  // lifetime is the lifeline's, and a stopped helper would make every privileged bind wait.
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU})
    signal(sig, SIG_IGN);

  // 1. Nothing inherited but what the helper needs: the launcher's other descriptors (and the
  //    lifeline's write end, which would keep the helper alive forever) are closed.
  if (auto s = closeOthers({listener, lifeline, status}); !s) fail(status, s.error().message());

  // 2. To the command's uid and gid, no supplementary groups, CAP_NET_BIND_SERVICE in permitted
  //    and effective only, bounding set shrunk to it, no_new_privs; verified from /proc.
  privdrop::drop(plan, status);  // on failure: the error on the status pipe, _exit(125)

  // 3. Not dumpable: the app runs as the same uid, so without this it could ptrace the helper
  //    or read its memory. Set after the uid change, which resets the flag (prctl(2)).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(status, Error::fromErrno("prctl(PR_SET_DUMPABLE, 0)", errno).message());
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
    fail(status, "verifying credentials: the helper is still dumpable");
  prctl(PR_SET_NAME, "privbind-helper", 0, 0, 0);

  // 4. Listen only now, as the command's uid: connecting clients see these credentials through
  //    SO_PEERCRED (unix(7)), and the shim sends its sockets to no one else.
  if (::listen(listener, SOMAXCONN) != 0)
    fail(status, Error::fromErrno("listen()", errno).message());

  const std::string ready = "ok " + std::to_string(getpid()) + "\n";

  // 5. From here on only the serving loop's few system calls (seccomp(2)); no_new_privs, which
  //    the filter needs, was set by the drop.
  if (auto s = installSeccomp(); !s) fail(status, s.error().message());

  // 6. Ready: the launcher may now run the command.
  writeAll(status, ready);
  { UniqueFd done(status); }  // EOF for the launcher

  Server(listener, lifeline, config).serve();
}

}  // namespace privbind::broker
