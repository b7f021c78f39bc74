/* Internals shared by the userspace tunnel engine's files (utun*.c); see utun.h. */
#ifndef MIP_UTUN_INT_H
#define MIP_UTUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "encap.h"
#include "event.h"
#include "utun.h"

#define UTUN_BATCH 64                   /* packets read per wake-up and socket */
#define UTUN_SLOT_STRIDE (65536 + 192)  /* room per packet; odd multiple of 64 spreads cache sets */
#define UTUN_TXQ 256                    /* outer packets queued for one sendmmsg */
#define UTUN_ARENA ((size_t)256 * 1024)      /* fragments built while the queue waits */

/* ---- hash tables: chained, keyed by up to four IPv4 addresses ---- */

#define UTUN_MAX_TUNNELS 64     /* remotes per inner destination (copies of a packet) */

struct hkey {
	uint32_t k[4];
};

struct hnode {
	struct hnode *next;
	struct hkey key;
	uint32_t hash;
};

struct htab {
	struct hnode **b;
	uint32_t mask;
	uint32_t n;
};

static inline struct hkey hkey4(struct in_addr a, struct in_addr b, struct in_addr c, struct in_addr d)
{
	struct hkey k = { { a.s_addr, b.s_addr, c.s_addr, d.s_addr } };

	return k;
}

static inline struct hkey hkey1(struct in_addr a)
{
	struct in_addr z = { 0 };

	return hkey4(a, z, z, z);
}

/* The reverse tunnel table's key: inner source, and the visited link for
 * the per-link devices (0: the main TUN device). */
static inline struct hkey rev_key(struct in_addr src, int link)
{
	struct hkey k = hkey1(src);

	k.k[1] = (uint32_t)link;
	return k;
}

/* ---- io_uring rings, mapped without liburing (utun_io.c) ---- */

struct io_uring_sqe;
struct io_uring_cqe;
struct io_uring_buf_ring;

struct uring {
	int fd;
	unsigned sq_entries;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len, sqes_len;
	unsigned sq_next;       /* our tail, published by uring_enter() */
};

/* ---- engine state ---- */

struct peer {                   /* a remote tunnel end: MTU soft state (RFC 2003 5) */
	struct hnode h;         /* key: remote */
	struct in_addr remote;
	unsigned refs;
	uint32_t link_mtu;      /* MTU of the route to remote (0: unknown) */
	uint32_t pmtu;          /* learned from ICMP Datagram Too Big (0: none) */
	uint64_t pmtu_expire, link_mtu_checked;
	uint16_t id;            /* next outer Identification */
};

struct tunnel {
	struct in_addr local, remote;
	enum dp_encap encap;
	struct peer *peer;
};

struct fwd {                    /* key: inner destination */
	struct hnode h;
	unsigned n, cap;
	struct tunnel *t;
};

struct rev {                    /* key: rev_key(inner source, link) */
	struct hnode h;
	struct tunnel t;
};

enum { DF_SD, DF_S, DF_D, DF_ANY, DF_NCLASS };   /* filter classes by wildcards */

struct dpair {                  /* key: (remote, local) */
	struct hnode h;
	unsigned cls[DF_NCLASS];  /* number of filters of each class */
};

struct dfilt {                  /* key: (remote, local, inner src, inner dst) */
	struct hnode h;
	unsigned refs;
	unsigned rev_refs;      /* of refs, added to reverse-tunnel what they accept */
	int link;               /* visited link of its visitor: that link's device (0: main) */
};

struct utun;

struct utun_io {
	struct ev_io io;
	struct utun *u;
};

/* A per-link TUN device (utun_link_get()); starts with its utun_io. */
struct utun_link {
	struct utun_io io;
	struct utun_link *next;
	char ifname[IFNAMSIZ];
	int ifindex;            /* of the device */
	int link;               /* the visited link it serves */
	unsigned refs;
};

struct utun {
	struct utun_resolver resolver;  /* hops NULL: none */
	struct ev_loop *loop;
	char ifname[IFNAMSIZ];
	int ifindex;
	int mtu;
	uint8_t ttl;
	int ctl_fd;             /* UDP socket: interface ioctls and route MTU queries */
	int tx_fd;              /* raw IPPROTO_RAW: outer packets, header included */
	struct utun_io tun, raw[3], icmp;
	struct htab fwd, rev, pairs, filters, peers;
	struct utun_link *links;        /* per-link devices, few */
	struct utun_stats st;
	uint64_t now;

	uint8_t *rx;            /* UTUN_BATCH slots of UTUN_SLOT_STRIDE (raw sockets) */
	uint8_t *tunrx;         /* UTUN_BATCH slots for the TUN device */

	/* io_uring: multishot TUN reads into a provided-buffer ring, batched writes */
	bool use_uring;
	struct uring rd, wr;
	struct utun_io ring_io;
	struct io_uring_buf_ring *br;
	uint16_t br_tail;
	bool rd_armed;
	unsigned wr_pending;
	struct mmsghdr rmsg[UTUN_BATCH];
	struct iovec riov[UTUN_BATCH];

	unsigned tn;            /* queued outer packets */
	struct mmsghdr tmsg[UTUN_TXQ];
	struct iovec tiov[UTUN_TXQ][2];
	struct sockaddr_in tdst[UTUN_TXQ];
	struct peer *tpeer[UTUN_TXQ];
	uint8_t thdr[UTUN_TXQ][ENCAP_HDR_MAX];
	uint8_t *arena;         /* fragments of queued packets */
	size_t arena_used;
	uint8_t *scratch;       /* one whole outer packet (minimal encapsulation fragmenting) */

	uint64_t icmp_window;
	unsigned icmp_count;
	uint64_t warn_window;
	unsigned warn_count;
};

/* ---- utun.c: the engine ---- */

/** Rate-limit warnings of the packet path to a few per second. */
bool utun_warn_ok(struct utun *u);
/** Watch @w (its fd set) in the engine's loop with @cb. */
int utun_watch(struct utun *u, struct utun_io *w, ev_io_cb cb);
/** A datagram the kernel routed into the TUN device: encapsulate and queue it. */
void utun_encap_one(struct utun *u, uint8_t *p, size_t len);
/** A datagram the kernel routed into the device of visited link @link: into
 *  the reverse tunnel of its source on that link. */
void utun_encap_link(struct utun *u, int link, uint8_t *p, size_t len);
/** Create TUN device @pattern with @mtu (0: from the links), up, IPv4
 *  only, its fd in @w; its name and index in @ifname, @ifindex.  Returns
 *  the MTU set, or -1 (logged). */
int utun_dev_create(struct utun *u, const char *pattern, int mtu, struct utun_io *w,
		    char ifname[IFNAMSIZ], int *ifindex);

/* ---- utun_link.c: per-link devices ---- */

struct utun_link *utun_link_find(struct utun *u, int link);
void utun_links_free(struct utun *u);

/* ---- utun_table.c: lookup tables ---- */

/** The forward, reverse, decapsulation filter and peer tables: 0, or -1
 *  when out of memory (the ones made are freed by utun_table_free()). */
int utun_table_init(struct utun *u);
void utun_table_free(struct utun *u);
struct hnode *utun_htab_find(const struct htab *t, const struct hkey *k);
/** The path-MTU state of @remote, NULL when nobody holds it. */
struct peer *utun_peer_find(struct utun *u, struct in_addr remote);
/** Send @p through the tunnels the resolver names for its destination: how many. */
unsigned utun_resolved_send(struct utun *u, uint8_t *p, size_t len);
/** Whether a decapsulation filter accepts the decapsulated packet @d; and in
 *  *@reverse, whether one that accepts it sends it on into the reverse tunnel
 *  of its inner source (utun_decap_add_reverse()) instead of the TUN device;
 *  in *@link, the visited link of such a filter (utun_decap_add_link()). */
bool utun_decap_allowed(struct utun *u, const struct encap_decap *d, bool *reverse, int *link);

/* ---- utun_icmp.c: path MTU and ICMP ---- */

/** Re-read the MTU of the route to @p. */
void utun_peer_refresh(struct utun *u, struct peer *p);
/** The largest outer packet we send to @p now. */
uint32_t utun_peer_mtu(struct utun *u, struct peer *p);
/** Send an ICMP error about @pkt to its source; true when sent. */
bool utun_icmp_send(struct utun *u, uint8_t type, uint8_t code, uint16_t mtu,
		    const uint8_t *pkt, size_t len);
/** The raw ICMP socket is readable: errors from inside the tunnels. */
void utun_icmp_readable(struct ev_io *io, uint32_t events);

/* ---- utun_io.c: batched I/O and io_uring ---- */

/** What is done with each packet received by utun_rx_each(). */
typedef void (*utun_rx_fn)(struct utun *u, uint8_t *p, size_t len);
/** Receive a batch from raw socket @fd and hand each packet to @one. */
void utun_rx_each(struct utun *u, int fd, utun_rx_fn one);
/** Send the queued outer packets (sendmmsg). */
void utun_tx_flush(struct utun *u);
/** The next free queue entry and, in *@buf, room for @bytes in the fragment
 *  arena; flushes the queue first when either is full. */
unsigned utun_tx_reserve(struct utun *u, size_t bytes, uint8_t **buf);
/** Queue entry @i to @p: @a then, when @blen, @b. */
void utun_tx_commit(struct utun *u, unsigned i, struct peer *p, const void *a, size_t alen,
		    const void *b, size_t blen);
/** The TUN device is readable (the read() loop, without io_uring). */
void utun_tun_readable(struct ev_io *io, uint32_t events);
/** Queue a decapsulated packet for TUN device @fd (the main one or a link's). */
void utun_tun_write(struct utun *u, int fd, const uint8_t *p, size_t len);
/** Write the queued packets and wait until the kernel has them all. */
void utun_tun_write_flush(struct utun *u);
/** Set up io_uring for the TUN device; false (nothing changed) if the kernel
 *  lacks what we need or MIPAGENT_UTUN_NO_IO_URING says not to. */
bool utun_uring_setup(struct utun *u);
/** Stop watching and free the io_uring rings and buffer ring. */
void utun_uring_close(struct utun *u);

#endif
