#include "modes/broker/bound_sockets.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace privbind::broker {

Result<BoundSockets> BoundSockets::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd) return Error::fromErrno("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", errno);
  return BoundSockets(std::move(fd));
}

void BoundSockets::add(ino_t inode, int domain, int protocol) {
  entries_.push_back({inode, domain, protocol});
}

bool BoundSockets::list(int domain, int protocol, std::vector<ino_t>& out) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<uint8_t>(domain);
  message.request.sdiag_protocol = static_cast<uint8_t>(protocol);
  message.request.idiag_states = ~0U;  // every state: a bound socket need not listen
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (retryEintr([&] {
        return ::sendto(diag_.get(), &message, sizeof message, 0,
                        reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
      }) != static_cast<ssize_t>(sizeof message))
    return false;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = retryEintr([&] { return ::recvmsg(diag_.get(), &msg, 0); });
    if (n <= 0 || (msg.msg_flags & MSG_TRUNC)) return false;
    auto left = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) return false;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        continue;
      inet_diag_msg d;
      std::memcpy(&d, NLMSG_DATA(h), sizeof d);
      out.push_back(static_cast<ino_t>(d.idiag_inode));
    }
  }
}

size_t BoundSockets::countOpen() {
  std::vector<ino_t> stillOpen;
  for (int domain : {AF_INET, AF_INET6})
    for (int protocol : {IPPROTO_TCP, IPPROTO_UDP}) {
      bool used = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return e.domain == domain && e.protocol == protocol;
      });
      if (used && !list(domain, protocol, stillOpen)) return entries_.size();
    }
  std::sort(stillOpen.begin(), stillOpen.end());
  std::erase_if(entries_, [&](const Entry& e) {
    return !std::binary_search(stillOpen.begin(), stillOpen.end(), e.inode);
  });
  return entries_.size();
}

}  // namespace privbind::broker
