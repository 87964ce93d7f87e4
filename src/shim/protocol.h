/* The wire format between the preload shim (C, inside the app) and the broker helper (C++).
 *
 * One AF_UNIX SOCK_SEQPACKET connection per privileged bind: the shim connects to the helper's
 * abstract socket, sends exactly one request record with exactly one descriptor attached
 * (SCM_RIGHTS, the socket to bind), and reads exactly one reply record. Record boundaries are
 * kept by SOCK_SEQPACKET, so a record of any other size is malformed by definition.
 *
 * Both records are fixed-size, in host byte order (both ends run on the same machine), with no
 * padding (checked below). The address is the sockaddr_in or sockaddr_in6 exactly as bind(2)
 * takes it, ports in network byte order; the unused tail of `addr` is zero.
 *
 * This header is included by C11 and C++20 code alike: keep it plain C. */
#ifndef PRIVBIND_SHIM_PROTOCOL_H
#define PRIVBIND_SHIM_PROTOCOL_H

#include <stdint.h>

#define PRIVBIND_PROTO_MAGIC 0x31524250u /* "PBR1" read as little-endian bytes */
#define PRIVBIND_PROTO_VERSION 1u
#define PRIVBIND_PROTO_ADDR_MAX 28u /* sizeof(struct sockaddr_in6) */

/* Environment variables that the launcher sets for the command and the shim reads once. */
#define PRIVBIND_ENV_SOCKET "PRIVBIND_SOCKET"     /* abstract socket name, without the NUL */
#define PRIVBIND_ENV_LIFELINE "PRIVBIND_LIFELINE" /* fd number, fixed width, decimal */
#define PRIVBIND_LIFELINE_DIGITS 10               /* so that the shim can rewrite it in place */
#define PRIVBIND_SOCKET_PREFIX "privbind-"        /* followed by 32 lowercase hex digits */

struct privbind_request {
  uint32_t magic;   /* PRIVBIND_PROTO_MAGIC */
  uint16_t version; /* PRIVBIND_PROTO_VERSION */
  uint16_t family;  /* AF_INET or AF_INET6; must equal the sockaddr's own family */
  uint32_t addrlen; /* 16 for AF_INET, 28 for AF_INET6: the shim normalizes */
  uint32_t flags;   /* reserved, must be 0 */
  unsigned char addr[PRIVBIND_PROTO_ADDR_MAX];
};

struct privbind_reply {
  uint32_t magic;   /* PRIVBIND_PROTO_MAGIC */
  uint16_t version; /* PRIVBIND_PROTO_VERSION */
  uint16_t reserved;
  int32_t error; /* 0: bound; else the errno bind(2) returns to the app */
};

#ifdef __cplusplus
static_assert(sizeof(struct privbind_request) == 44, "request has no padding");
static_assert(sizeof(struct privbind_reply) == 12, "reply has no padding");
#else
_Static_assert(sizeof(struct privbind_request) == 44, "request has no padding");
_Static_assert(sizeof(struct privbind_reply) == 12, "reply has no padding");
#endif

#endif /* PRIVBIND_SHIM_PROTOCOL_H */
