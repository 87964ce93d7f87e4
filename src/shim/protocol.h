/* The wire format between the preload shim (C, inside the app) and the broker helper (C++).
 *
 * There is no socket name anywhere. The launcher makes one AF_UNIX SOCK_SEQPACKET socketpair:
 * the helper keeps one end, the command inherits the other (the "channel"), whose number is in
 * PRIVBIND_LIFELINE. For each privileged bind the shim makes a fresh private socketpair and sends,
 * over the channel, exactly one request record with exactly two descriptors attached
 * (SCM_RIGHTS): the socket to bind, then one end of the private pair. The helper answers with
 * exactly one reply record on that private end. A SOCK_SEQPACKET record is delivered whole or not
 * at all, descriptors included (unix(7)), so processes of the command's tree sending at the same
 * time never interleave, and each reply reaches only the caller that made the private pair.
 *
 * The channel is also the lifeline: the helper reads end-of-file on its end once every copy of the
 * command's end is closed, and exits.
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
#define PRIVBIND_PROTO_VERSION 2u        /* 2: inherited channel, private reply pair */
#define PRIVBIND_PROTO_ADDR_MAX 28u      /* sizeof(struct sockaddr_in6) */
#define PRIVBIND_PROTO_FDS 2u            /* the socket to bind, the reply end */

/* The one environment variable the launcher sets for the shim, read once: the channel's
 * descriptor number, fixed width, decimal, so that the shim can rewrite it in place when the
 * channel moves out of the way of a dup2(). */
#define PRIVBIND_ENV_LIFELINE "PRIVBIND_LIFELINE"
#define PRIVBIND_LIFELINE_DIGITS 10

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
