#include "modes/broker/request.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "shim/protocol.h"

namespace privbind::broker {

namespace {

Decision refuse(int err, std::string reason) {
  Decision d;
  d.error = err;
  d.reason = std::move(reason);
  return d;
}

bool allZero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

bool isReplyEnd(const FdFacts& fd) {
  return fd.isSocket && fd.domain == AF_UNIX && fd.type == SOCK_SEQPACKET;
}

Decision decide(const Received& message, const Peer& peer, const Policy& policy) {
  // Only the command's own user may ask. Only the command's tree holds the channel, but a
  // set-user-ID program it runs (without no_new_privs) would hold it too; SCM_CREDENTIALS are
  // checked by the kernel: a sender can only claim its own ids (unix(7)).
  if (peer.uid != policy.uid) return refuse(EACCES, "peer uid " + std::to_string(peer.uid));

  // The record must have arrived whole and alone. MSG_CTRUNC means the kernel dropped
  // descriptors that did not fit: refuse rather than act on a partial view.
  if (message.truncated) return refuse(EINVAL, "oversized message");
  if (message.controlTruncated) return refuse(EINVAL, "too many descriptors");
  if (message.otherControl) return refuse(EINVAL, "unexpected control message");
  if (message.fds.size() != PRIVBIND_PROTO_FDS)
    return refuse(EINVAL, std::to_string(message.fds.size()) + " descriptors, expected 2");
  // Whatever the second one is, the reply goes nowhere else; a wrong one gets no reply.
  if (!isReplyEnd(message.fds[1])) return refuse(EINVAL, "the reply end is not a unix seqpacket");
  if (message.bytes.size() != sizeof(privbind_request))
    return refuse(EINVAL, "message of " + std::to_string(message.bytes.size()) +
                              " bytes, expected " + std::to_string(sizeof(privbind_request)));

  privbind_request req;
  std::memcpy(&req, message.bytes.data(), sizeof req);
  if (req.magic != PRIVBIND_PROTO_MAGIC) return refuse(EINVAL, "bad magic");
  if (req.version != PRIVBIND_PROTO_VERSION)
    return refuse(EINVAL, "protocol version " + std::to_string(req.version));
  if (req.flags != 0) return refuse(EINVAL, "unknown flags");

  const FdFacts& fd = message.fds[0];
  // Only sockets can be bound; anything else (a file, a pipe) is refused before any call.
  if (!fd.isSocket) return refuse(ENOTSOCK, "descriptor is not a socket");

  sa_family_t ownFamily;
  std::memcpy(&ownFamily, req.addr, sizeof ownFamily);
  if (fd.domain != req.family || ownFamily != req.family)
    return refuse(EAFNOSUPPORT, "family mismatch (socket " + std::to_string(fd.domain) +
                                    ", request " + std::to_string(req.family) + ", address " +
                                    std::to_string(ownFamily) + ")");

  Decision d;
  uint16_t portBe = 0;
  switch (req.family) {
    case AF_INET:
      // An IPv4 address on an IPv4 socket: exactly what inet_bind() takes. The helper's
      // privilege only lifts the reserved-port check; the kernel still checks the address.
      if (req.addrlen != sizeof(sockaddr_in) ||
          !allZero(req.addr + sizeof(sockaddr_in), sizeof req.addr - sizeof(sockaddr_in)))
        return refuse(EINVAL, "bad IPv4 address length");
      std::memcpy(&portBe, req.addr + offsetof(sockaddr_in, sin_port), sizeof portBe);
      break;
    case AF_INET6:
      // Same for IPv6 (v4-mapped and the dual-stack wildcard included: they are the app's own
      // choice on its own socket, and IPV6_V6ONLY stays as the app set it).
      if (req.addrlen != sizeof(sockaddr_in6)) return refuse(EINVAL, "bad IPv6 address length");
      std::memcpy(&portBe, req.addr + offsetof(sockaddr_in6, sin6_port), sizeof portBe);
      break;
    default:
      // AF_UNIX, AF_NETLINK, AF_PACKET...: never brokered. The helper's capability means
      // nothing for them, and some of them carry their own privileges.
      return refuse(EAFNOSUPPORT, "family " + std::to_string(req.family) + " is not brokered");
  }

  switch (fd.type) {
    case SOCK_STREAM:     // TCP
    case SOCK_DGRAM:      // UDP
    case SOCK_SEQPACKET:  // SCTP
      // Ordinary transport sockets: binding only reserves the port for this socket.
      break;
    default:
      // SOCK_RAW needs CAP_NET_RAW to exist and ignores ports; anything else is unknown here.
      return refuse(EINVAL, "socket type " + std::to_string(fd.type) + " is not brokered");
  }

  d.port = ntohs(portBe);
  // Port 0 and unreserved ports need no privilege: the shim never sends them.
  if (d.port == 0) return refuse(EINVAL, "port 0 needs no helper");
  if (d.port >= policy.unprivilegedStart)
    return refuse(EINVAL, "port " + std::to_string(d.port) + " needs no helper");
  if (policy.ports && !policy.ports->contains(d.port)) {
    Decision r = refuse(EACCES, "port " + std::to_string(d.port) + " is not in --ports");
    r.policyRefusal = true;
    r.port = d.port;
    std::memcpy(&r.address, req.addr, req.addrlen);
    r.addressLength = req.addrlen;
    return r;
  }
  std::memcpy(&d.address, req.addr, req.addrlen);
  d.addressLength = req.addrlen;
  d.error = 0;
  return d;
}

}  // namespace

Decision decodeRequest(const Received& message, const Peer& peer, const Policy& policy) {
  Decision d = decide(message, peer, policy);
  // Answerable only on a reply end the shim made: exactly two descriptors, none dropped.
  d.replyable = !message.controlTruncated && message.fds.size() == PRIVBIND_PROTO_FDS &&
                isReplyEnd(message.fds[1]);
  return d;
}

std::string formatAddress(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  return "?";
}

}  // namespace privbind::broker
