// Decoding and checking one request from the app side, as a pure function: bytes, facts about
// the received descriptors, the peer's kernel-checked credentials and the admin's policy in; a
// decision out. No system call happens here, so it can be unit tested with hostile bytes and
// fuzzed. The helper gathers the facts (recvmsg, fstat, getsockopt) and acts on the decision.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/ports.h"

namespace privbind::broker {

// What the helper found out about one received descriptor before decoding.
struct FdFacts {
  bool isSocket = false;  // fstat(2): S_ISSOCK
  int domain = -1;        // getsockopt(SO_DOMAIN); -1 when not a socket
  int type = -1;          // getsockopt(SO_TYPE); -1 when not a socket
  int protocol = -1;      // getsockopt(SO_PROTOCOL): IPPROTO_TCP...; -1 when unknown
};

// One message as recvmsg(2) delivered it.
struct Received {
  std::span<const unsigned char> bytes;  // the n bytes received
  bool truncated = false;                // MSG_TRUNC: the record was longer than the buffer
  bool controlTruncated = false;         // MSG_CTRUNC: descriptors were dropped by the kernel
  bool otherControl = false;  // a control message other than one SCM_RIGHTS and one SCM_CREDENTIALS
  std::span<const FdFacts> fds;  // every descriptor received, in order
};

// SCM_CREDENTIALS of the record (unix(7)): the helper's end has SO_PASSCRED set, so the kernel
// attaches the sender's pid, uid and gid to every record; a sender can only claim its own. The
// uid decides, the pid is logged; the gid plays no part. A record without them keeps the
// defaults, which match no user.
struct Peer {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
};

struct Policy {
  uid_t uid = static_cast<uid_t>(-1);   // the only user served: the command's
  unsigned unprivilegedStart = 1024;    // net.ipv4.ip_unprivileged_port_start
  std::optional<ports::PortSet> ports;  // -p: only these reserved ports
};

struct Decision {
  // The record carries a usable reply end (fds[1]); without one there is nobody to answer.
  bool replyable = false;
  int error = 0;               // 0: bind fds[0] to address; else the errno to reply with
  std::string reason;          // why it was refused, for the helper's log
  bool policyRefusal = false;  // refused by -p: always logged
  sockaddr_storage address{};
  socklen_t addressLength = 0;
  uint16_t port = 0;  // host byte order
};

// First, whether the record can be answered at all: replyable when no descriptor was dropped and
// exactly two arrived, the second an AF_UNIX SOCK_SEQPACKET socket (the shim's private reply end).
// Then checks, in order, and refuses at the first failure:
//   peer uid is policy.uid                                          else EACCES
//   no truncation, no foreign control message, replyable           else EINVAL
//   exactly sizeof(privbind_request) bytes, magic, version, flags 0 else EINVAL
//   fds[0] is a socket                                              else ENOTSOCK
//   its domain is AF_INET/AF_INET6, equal to the request's family
//     and to the sockaddr's own family                              else EAFNOSUPPORT
//   address length 16 (AF_INET) or 28 (AF_INET6), zero tail         else EINVAL
//   socket type stream, datagram or seqpacket                       else EINVAL
//   port nonzero and below policy.unprivilegedStart                 else EINVAL
//   port in policy.ports when given                                 else EACCES (policyRefusal)
Decision decodeRequest(const Received& message, const Peer& peer, const Policy& policy);

// "127.0.0.1:80", "[::1]:443"; "?" for anything else.
std::string formatAddress(const sockaddr_storage& address);

}  // namespace privbind::broker
