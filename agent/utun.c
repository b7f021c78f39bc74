/* The userspace tunnel engine: TUN device, raw sockets, lookup tables, MTU and ICMP handling (see utun.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "encap.h"
#include "event.h"
#include "log.h"
#include "timer.h"
#include "utun.h"

#define UTUN_BATCH 64                   /* packets read per wake-up and socket */
#define UTUN_SLOT_STRIDE (65536 + 192)  /* room per packet; odd multiple of 64 spreads cache sets */
#define UTUN_TXQ 256                    /* outer packets queued for one sendmmsg */
#define UTUN_ARENA ((size_t)256 * 1024)      /* fragments built while the queue waits */
#define UTUN_SOCKBUF (4 * 1024 * 1024)
#define UTUN_PMTU_AGE_MS (10u * 60 * 1000)   /* RFC 1191 6.3: at least 10 minutes */
#define UTUN_LINK_MTU_AGE_MS (10 * 1000)     /* re-read a peer's route MTU this often */
#define UTUN_ICMP_PER_SEC 200           /* ICMP errors we generate or relay per second */
#define UTUN_MAX_TUNNELS 64             /* remotes per inner destination */
#define UTUN_ICMP_FILTER 1              /* SOL_RAW option (linux/icmp.h) */
#define UTUN_OP_READ_MULTISHOT 49       /* IORING_OP_READ_MULTISHOT, Linux 6.7 */
#define UTUN_NO_URING_ENV "MIPAGENT_UTUN_NO_IO_URING"

/* ---- hash tables: chained, keyed by up to four IPv4 addresses ---- */

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

static uint32_t hkey_hash(const struct hkey *k)
{
	uint32_t h = k->k[0] * 0x9e3779b1u;

	h ^= (k->k[1] * 0x85ebca77u) ^ (h >> 15);
	h ^= (k->k[2] * 0xc2b2ae3du) ^ (h >> 13);
	h ^= (k->k[3] * 0x27d4eb2fu) ^ (h >> 16);
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static struct hkey hkey4(struct in_addr a, struct in_addr b, struct in_addr c, struct in_addr d)
{
	struct hkey k = { { a.s_addr, b.s_addr, c.s_addr, d.s_addr } };

	return k;
}

static struct hkey hkey1(struct in_addr a)
{
	struct in_addr z = { 0 };

	return hkey4(a, z, z, z);
}

static int htab_init(struct htab *t)
{
	t->mask = 63;
	t->n = 0;
	t->b = calloc(t->mask + 1, sizeof(*t->b));
	return t->b ? 0 : -1;
}

static struct hnode *htab_find(const struct htab *t, const struct hkey *k)
{
	uint32_t h = hkey_hash(k);
	struct hnode *n;

	for (n = t->b[h & t->mask]; n; n = n->next)
		if (n->hash == h && !memcmp(&n->key, k, sizeof(*k)))
			return n;
	return NULL;
}

/* Insert @n (its key set); grows the table when it gets full. */
static void htab_insert(struct htab *t, struct hnode *n)
{
	n->hash = hkey_hash(&n->key);
	if (t->n >= t->mask + 1 && t->mask < (1u << 24)) {
		uint32_t nmask = t->mask * 2 + 1;
		struct hnode **nb = calloc(nmask + 1, sizeof(*nb));

		if (nb) {       /* on failure keep the longer chains */
			for (uint32_t i = 0; i <= t->mask; i++) {
				struct hnode *x = t->b[i], *next;

				for (; x; x = next) {
					next = x->next;
					x->next = nb[x->hash & nmask];
					nb[x->hash & nmask] = x;
				}
			}
			free(t->b);
			t->b = nb;
			t->mask = nmask;
		}
	}
	n->next = t->b[n->hash & t->mask];
	t->b[n->hash & t->mask] = n;
	t->n++;
}

static void htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->b[n->hash & t->mask];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			t->n--;
			return;
		}
}

/* Free every node (each is the start of one malloc'd object) and the table. */
static void htab_free(struct htab *t, void (*free_node)(struct hnode *))
{
	if (!t->b)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct hnode *x = t->b[i], *next;

		for (; x; x = next) {
			next = x->next;
			free_node(x);
		}
	}
	free(t->b);
	t->b = NULL;
}

/* ---- io_uring, without liburing ----
 *
 * A TUN device is a character device: one read() or write() per packet, and
 * a system call costs about 1 us on the virtual machines we run on.  With
 * io_uring one multishot read (Linux 6.7) fills provided buffers as packets
 * arrive and one io_uring_enter() writes a whole batch.  Without io_uring
 * (or with MIPAGENT_UTUN_NO_IO_URING set) the engine falls back to read()
 * and write() loops. */

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

static void uring_free(struct uring *r)
{
	if (r->sqes)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static int uring_init(struct uring *r, unsigned entries)
{
	struct io_uring_params p;
	uint8_t *sq, *cq;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = entries * 4;
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -1;
	r->sq_entries = p.sq_entries;
	r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 r->fd, IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED) {
		r->sq_map = NULL;
		goto fail;
	}
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq_map = r->sq_map;
	} else {
		r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				 r->fd, IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED) {
			r->cq_map = NULL;
			goto fail;
		}
	}
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED) {
		r->sqes = NULL;
		goto fail;
	}
	sq = r->sq_map;
	cq = r->cq_map;
	r->sq_head = (unsigned *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	r->sq_next = *r->sq_tail;
	return 0;
fail:
	uring_free(r);
	return -1;
}

/* Whether the kernel knows opcode @op. */
static bool uring_supports(struct uring *r, unsigned op)
{
	size_t len = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *pr = calloc(1, len);
	bool ok = false;

	if (!pr)
		return false;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PROBE, pr, 256) == 0)
		ok = op <= pr->last_op && (pr->ops[op].flags & IO_URING_OP_SUPPORTED);
	free(pr);
	return ok;
}

/* A zeroed submission entry, or NULL when the queue is full. */
static struct io_uring_sqe *uring_sqe(struct uring *r)
{
	unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE), i;
	struct io_uring_sqe *e;

	if (r->sq_next - head >= r->sq_entries)
		return NULL;
	i = r->sq_next & *r->sq_mask;
	e = &r->sqes[i];
	memset(e, 0, sizeof(*e));
	r->sq_array[i] = i;
	r->sq_next++;
	return e;
}

/* Submit what is queued and wait for @wait completions. */
static int uring_enter(struct uring *r, unsigned wait)
{
	unsigned n = r->sq_next - *r->sq_tail;
	int rc;

	__atomic_store_n(r->sq_tail, r->sq_next, __ATOMIC_RELEASE);
	do
		rc = (int)syscall(__NR_io_uring_enter, r->fd, n, wait, wait ? IORING_ENTER_GETEVENTS : 0,
				  NULL, 0);
	while (rc < 0 && errno == EINTR);
	return rc;
}

static struct io_uring_cqe *uring_cqe(struct uring *r)
{
	unsigned head = *r->cq_head;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return NULL;
	return &r->cqes[head & *r->cq_mask];
}

static void uring_cqe_done(struct uring *r)
{
	__atomic_store_n(r->cq_head, *r->cq_head + 1, __ATOMIC_RELEASE);
}

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

struct rev {                    /* key: inner source */
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
};

struct utun;

struct utun_io {
	struct ev_io io;
	struct utun *u;
};

struct utun {
	struct ev_loop *loop;
	char ifname[IFNAMSIZ];
	int ifindex;
	int mtu;
	uint8_t ttl;
	int ctl_fd;             /* UDP socket: interface ioctls and route MTU queries */
	int tx_fd;              /* raw IPPROTO_RAW: outer packets, header included */
	struct utun_io tun, raw[3], icmp;
	struct htab fwd, rev, pairs, filters, peers;
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

static inline uint8_t *rx_slot(struct utun *u, unsigned i)
{
	return u->rx + (size_t)i * UTUN_SLOT_STRIDE;
}

static inline uint8_t *tun_slot(struct utun *u, unsigned i)
{
	return u->tunrx + (size_t)i * UTUN_SLOT_STRIDE;
}

/* Rate-limit warnings of the packet path to a few per second. */
static bool warn_ok(struct utun *u)
{
	uint64_t now = mip_now_ms();

	if (now - u->warn_window >= 1000) {
		u->warn_window = now;
		u->warn_count = 0;
	}
	return u->warn_count++ < 5;
}

static bool icmp_ok(struct utun *u)
{
	if (u->now - u->icmp_window >= 1000) {
		u->icmp_window = u->now;
		u->icmp_count = 0;
	}
	return u->icmp_count++ < UTUN_ICMP_PER_SEC;
}

/* ---- peers and MTU ---- */

/* MTU of the route to @remote, including what the kernel learned (IP_MTU of
 * a UDP socket connected there); 0 when there is no route. */
static uint32_t route_mtu(struct utun *u, struct in_addr remote)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = remote, .sin_port = htons(9) };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int mtu = 0;
	socklen_t sl = sizeof(mtu);

	if (connect(u->ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	if (getsockopt(u->ctl_fd, IPPROTO_IP, IP_MTU, &mtu, &sl) < 0)
		mtu = 0;
	(void)connect(u->ctl_fd, &unspec, sizeof(unspec));  /* dissolve the association */
	return mtu > 0 ? (uint32_t)mtu : 0;
}

static void peer_refresh(struct utun *u, struct peer *p)
{
	p->link_mtu = route_mtu(u, p->remote);
	p->link_mtu_checked = u->now;
}

static struct peer *peer_get(struct utun *u, struct in_addr remote)
{
	struct hkey k = hkey1(remote);
	struct peer *p = (struct peer *)htab_find(&u->peers, &k);

	if (p) {
		p->refs++;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->h.key = k;
	p->remote = remote;
	p->refs = 1;
	p->id = (uint16_t)(mip_now_ms() * 2654435761u >> 7);
	u->now = mip_now_ms();
	peer_refresh(u, p);
	htab_insert(&u->peers, &p->h);
	return p;
}

static void peer_put(struct utun *u, struct peer *p)
{
	if (--p->refs)
		return;
	htab_remove(&u->peers, &p->h);
	free(p);
}

/* The largest outer packet we send to @p now. */
static uint32_t peer_mtu(struct utun *u, struct peer *p)
{
	uint32_t m;

	if (u->now - p->link_mtu_checked >= (p->link_mtu ? UTUN_LINK_MTU_AGE_MS : 1000))
		peer_refresh(u, p);
	m = p->link_mtu ? p->link_mtu : 65535;
	if (p->pmtu) {
		if (u->now >= p->pmtu_expire)
			p->pmtu = 0;
		else if (p->pmtu < m)
			m = p->pmtu;
	}
	return m;
}

/* ---- output ---- */

static void tx_flush(struct utun *u)
{
	unsigned off = 0;

	while (off < u->tn) {
		int r = sendmmsg(u->tx_fd, u->tmsg + off, u->tn - off, 0);

		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* The socket buffer is full: drop the rest of the batch. */
			u->st.send_errors += u->tn - off;
			break;
		}
		if (r < 0 && errno == EMSGSIZE && u->tpeer[off]) {
			/* The route's device MTU shrank: re-read it. */
			peer_refresh(u, u->tpeer[off]);
			u->st.too_big++;
		}
		if (warn_ok(u))
			log_warn("utun", "send to %s", inet_ntoa(u->tdst[off].sin_addr));
		u->st.send_errors++;
		off++;
	}
	u->tn = 0;
	u->arena_used = 0;
}

/* The next free queue entry and, in *@buf, room for @bytes in the fragment
 * arena; flushes the queue first when either is full, so the two agree. */
static unsigned tx_reserve(struct utun *u, size_t bytes, uint8_t **buf)
{
	if (u->tn == UTUN_TXQ || u->arena_used + bytes > UTUN_ARENA)
		tx_flush(u);
	if (buf)
		*buf = u->arena + u->arena_used;
	return u->tn;
}

static void tx_commit(struct utun *u, unsigned i, struct peer *p, const void *a, size_t alen,
		      const void *b, size_t blen)
{
	struct msghdr *m = &u->tmsg[i].msg_hdr;

	u->tiov[i][0].iov_base = (void *)a;
	u->tiov[i][0].iov_len = alen;
	u->tiov[i][1].iov_base = (void *)b;
	u->tiov[i][1].iov_len = blen;
	u->tdst[i].sin_addr = p->remote;
	u->tpeer[i] = p;
	m->msg_iovlen = blen ? 2 : 1;
	u->tn = i + 1;
}

/* Send an ICMP error about @pkt to its source (raw ICMP socket: the kernel
 * picks our source address by routing, as for its own ICMP errors). */
static bool icmp_send(struct utun *u, uint8_t type, uint8_t code, uint16_t mtu,
		      const uint8_t *pkt, size_t len)
{
	uint8_t msg[8 + ENCAP_ICMP_QUOTE_MAX];
	struct sockaddr_in to = { .sin_family = AF_INET };
	int n;

	if (!icmp_error_allowed(pkt, len) || !icmp_ok(u))
		return false;
	n = icmp_error_build(msg, sizeof(msg), type, code, mtu, pkt, len);
	if (n < 0)
		return false;
	to.sin_addr = ip_src(pkt);
	if (sendto(u->icmp.io.fd, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (warn_ok(u))
			log_warn("utun", "ICMP to %s", inet_ntoa(to.sin_addr));
		return false;
	}
	return true;
}

/* Encapsulate @p (@len bytes, checked) into tunnel @t and queue it. */
static void send_tunnel(struct utun *u, const struct tunnel *t, uint8_t *p, size_t len)
{
	struct encap_params ep = { .src = t->local, .dst = t->remote, .type = t->encap, .ttl = u->ttl };
	struct peer *pr = t->peer;
	uint32_t mtu;
	size_t skip;
	unsigned i;
	int ovh, hlen;

	/* RFC 2003 3.2: never tunnel a datagram back to where it came from. */
	if (ip_src(p).s_addr == t->remote.s_addr) {
		u->st.loop_drops++;
		return;
	}
	/* RFC 2004 3: minimal encapsulation MUST NOT carry a fragment; such
	 * datagrams go IP-in-IP, which every Mobile IP agent decapsulates. */
	if (ep.type == DP_ENCAP_MINIMAL && ip_is_fragment(p))
		ep.type = DP_ENCAP_IPIP;
	ovh = encap_overhead(&ep, p);
	if (ovh < 0) {
		u->st.bad_inner++;
		return;
	}
	mtu = peer_mtu(u, pr);
	if (len + (size_t)ovh > mtu) {
		size_t off = 0;
		int n;

		if (ip_df(p)) {
			/* The sender does path MTU discovery: tell it what fits
			 * (RFC 2003 5.1: tunnel MTU minus the encapsulation). */
			uint32_t fit = mtu - (uint32_t)ovh;

			u->st.too_big++;
			if (icmp_send(u, ICMP_T_UNREACH, ICMP_C_NEEDFRAG,
				      (uint16_t)(fit < ENCAP_IP_MIN_MTU ? ENCAP_IP_MIN_MTU : fit), p, len))
				u->st.icmp_sent++;
			return;
		}
		/* DF clear.  The kernel does not fragment IP_HDRINCL packets,
		 * so we do.  IP-in-IP and GRE: fragment the INNER datagram and
		 * encapsulate each piece, as RFC 2003 5.1 prefers ("much better
		 * to fragment the original datagram when encapsulating"): every
		 * outer packet is then complete and the decapsulator needs no
		 * reassembly state.  Minimal encapsulation must not carry
		 * fragments (RFC 2004 3), so there the OUTER datagram is
		 * fragmented and the exit point reassembles it. */
		u->st.fragmented++;
		if (ep.type == DP_ENCAP_MINIMAL) {
			int olen = encap_build(&ep, p, len, u->scratch, 65536 + ENCAP_HDR_MAX);

			if (olen < 0) {
				u->st.bad_inner++;
				return;
			}
			for (;;) {
				uint8_t *f;

				i = tx_reserve(u, mtu, &f);
				n = ip_fragment_next(u->scratch, (size_t)olen, mtu, &off, f, mtu);
				if (n <= 0)
					break;
				u->arena_used += (size_t)n;
				tx_commit(u, i, pr, f, (size_t)n, NULL, 0);
			}
		} else {
			size_t fmtu = mtu - (size_t)ovh;

			for (;;) {
				uint8_t *f;

				i = tx_reserve(u, fmtu, &f);
				n = ip_fragment_next(p, len, fmtu, &off, f, fmtu);
				if (n <= 0)
					break;
				u->arena_used += (size_t)n;
				ep.id = pr->id++;
				hlen = encap_header(&ep, f, (size_t)n, u->thdr[i], &skip);
				if (hlen < 0) {
					n = hlen;
					break;
				}
				tx_commit(u, i, pr, u->thdr[i], (size_t)hlen, f + skip, (size_t)n - skip);
			}
		}
		if (n < 0) {
			u->st.bad_inner++;
			if (warn_ok(u))
				log_warnx("utun", "fragmenting: %s", encap_strerror(n));
			return;
		}
		u->st.encap_pkts++;
		u->st.encap_bytes += len;
		return;
	}
	i = tx_reserve(u, 0, NULL);
	ep.id = pr->id++;
	hlen = encap_header(&ep, p, len, u->thdr[i], &skip);
	if (hlen < 0) {
		u->st.bad_inner++;
		return;
	}
	tx_commit(u, i, pr, u->thdr[i], (size_t)hlen, p + skip, len - skip);
	u->st.encap_pkts++;
	u->st.encap_bytes += len;
}

/* A datagram the kernel routed into the TUN device.  Its TTL was already
 * decremented by that forwarding (RFC 2003 3.1: decrement when tunnelling is
 * part of forwarding), and locally sent datagrams keep theirs, so the TTL is
 * not touched here; ip_check() refuses TTL 0 (MUST NOT encapsulate). */
static void encap_one(struct utun *u, uint8_t *p, size_t len)
{
	struct hkey k;
	struct fwd *f;
	struct rev *r;

	if (ip_check(p, len) < 0) {
		u->st.bad_inner++;
		return;
	}
	k = hkey1(ip_dst(p));
	f = (struct fwd *)htab_find(&u->fwd, &k);
	if (f) {
		for (unsigned j = 0; j < f->n; j++)
			send_tunnel(u, &f->t[j], p, len);
		return;
	}
	k = hkey1(ip_src(p));
	r = (struct rev *)htab_find(&u->rev, &k);
	if (r) {
		send_tunnel(u, &r->t, p, len);
		return;
	}
	u->st.no_route++;
}

static void tun_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;

	(void)events;
	u->now = mip_now_ms();
	for (unsigned i = 0; i < UTUN_BATCH; i++) {
		uint8_t *p = tun_slot(u, i);
		ssize_t n = read(io->fd, p, UTUN_SLOT_STRIDE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && warn_ok(u))
				log_warn("utun", "read %s", u->ifname);
			break;
		}
		encap_one(u, p, (size_t)n);
	}
	tx_flush(u);
}

/* Give TUN buffer @bid back to the kernel (published by br_publish()). */
static void br_add(struct utun *u, unsigned bid)
{
	struct io_uring_buf *b = &u->br->bufs[u->br_tail & (UTUN_BATCH - 1)];

	b->addr = (uint64_t)(uintptr_t)tun_slot(u, bid);
	b->len = UTUN_SLOT_STRIDE;
	b->bid = (uint16_t)bid;
	u->br_tail++;
}

static void br_publish(struct utun *u)
{
	__atomic_store_n(&u->br->tail, u->br_tail, __ATOMIC_RELEASE);
}

/* (Re)arm the multishot read of the TUN device. */
static int rd_arm(struct utun *u)
{
	struct io_uring_sqe *e = uring_sqe(&u->rd);

	if (!e)
		return -1;
	e->opcode = UTUN_OP_READ_MULTISHOT;
	e->fd = u->tun.io.fd;
	e->flags = IOSQE_BUFFER_SELECT;
	e->buf_group = 0;
	e->user_data = 1;
	if (uring_enter(&u->rd, 0) < 0)
		return -1;
	u->rd_armed = true;
	return 0;
}

static void use_read_loop(struct utun *u);

/* Completions of the multishot read: one packet each. */
static void ring_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;
	struct io_uring_cqe *c;
	uint16_t done[UTUN_BATCH];
	unsigned nd = 0;

	(void)events;
	u->now = mip_now_ms();
	while (nd < UTUN_BATCH && (c = uring_cqe(&u->rd))) {
		int res = c->res;
		uint32_t fl = c->flags;

		uring_cqe_done(&u->rd);
		if (!(fl & IORING_CQE_F_MORE))
			u->rd_armed = false;
		if (fl & IORING_CQE_F_BUFFER) {
			unsigned bid = fl >> IORING_CQE_BUFFER_SHIFT;

			if (bid < UTUN_BATCH) {
				done[nd++] = (uint16_t)bid;
				if (res > 0)
					encap_one(u, tun_slot(u, bid), (size_t)res);
			}
		} else if (res < 0 && res != -ENOBUFS && res != -EAGAIN) {
			if (res == -EINVAL || res == -EOPNOTSUPP || res == -EBADFD) {
				log_info("utun", "multishot read of %s not possible (%s): read() loop",
					 u->ifname, strerror(-res));
				tx_flush(u);
				use_read_loop(u);
				return;
			}
			if (warn_ok(u))
				log_warnx("utun", "read %s: %s", u->ifname, strerror(-res));
		}
	}
	/* queued packets point into the buffers: send before recycling them */
	tx_flush(u);
	for (unsigned i = 0; i < nd; i++)
		br_add(u, done[i]);
	br_publish(u);
	if (!u->rd_armed && rd_arm(u) < 0 && warn_ok(u))
		log_warn("utun", "io_uring read of %s", u->ifname);
}

/* Queue a decapsulated packet for the TUN device (written now without io_uring). */
static void tun_write(struct utun *u, const uint8_t *p, size_t len)
{
	if (u->use_uring) {
		struct io_uring_sqe *e = uring_sqe(&u->wr);

		if (e) {
			e->opcode = IORING_OP_WRITE;
			e->fd = u->tun.io.fd;
			e->addr = (uint64_t)(uintptr_t)p;
			e->len = (uint32_t)len;
			e->off = 0;
			e->user_data = len;
			u->wr_pending++;
			return;
		}
	}
	if (write(u->tun.io.fd, p, len) < 0) {
		u->st.send_errors++;
		if (warn_ok(u))
			log_warn("utun", "write %s", u->ifname);
		return;
	}
	u->st.decap_pkts++;
	u->st.decap_bytes += len;
}

/* Write the queued packets and wait until the kernel has them all. */
static void tun_write_flush(struct utun *u)
{
	while (u->wr_pending) {
		struct io_uring_cqe *c;

		if (uring_enter(&u->wr, u->wr_pending) < 0) {
			log_warn("utun", "io_uring_enter");
			u->st.send_errors += u->wr_pending;
			u->wr_pending = 0;      /* rx slots are reused only after recvmmsg */
			return;
		}
		while ((c = uring_cqe(&u->wr))) {
			if (c->res < 0) {
				u->st.send_errors++;
				if (warn_ok(u))
					log_warnx("utun", "write %s: %s", u->ifname, strerror(-c->res));
			} else {
				u->st.decap_pkts++;
				u->st.decap_bytes += (uint64_t)c->res;
			}
			uring_cqe_done(&u->wr);
			u->wr_pending--;
		}
	}
}

/* ---- input ---- */

static bool filter_has(struct utun *u, const struct encap_decap *d, struct in_addr s, struct in_addr t)
{
	struct hkey k = hkey4(d->outer_src, d->outer_dst, s, t);

	return htab_find(&u->filters, &k) != NULL;
}

static bool decap_allowed(struct utun *u, const struct encap_decap *d)
{
	struct hkey k = hkey4(d->outer_src, d->outer_dst, (struct in_addr){ 0 }, (struct in_addr){ 0 });
	struct dpair *pr = (struct dpair *)htab_find(&u->pairs, &k);
	struct in_addr any = { 0 }, is, id;

	if (!pr)
		return false;
	if (pr->cls[DF_ANY])
		return true;
	is = ip_src(d->inner);
	id = ip_dst(d->inner);
	return (pr->cls[DF_S] && filter_has(u, d, is, any)) ||
	       (pr->cls[DF_D] && filter_has(u, d, any, id)) ||
	       (pr->cls[DF_SD] && filter_has(u, d, is, id));
}

static void decap_one(struct utun *u, uint8_t *p, size_t len)
{
	struct encap_decap d;
	int rc = encap_decap(p, len, &d);

	if (rc < 0) {
		u->st.decap_bad++;
		if (log_debug_enabled("utun"))
			log_debug("utun", "dropped encapsulated packet: %s", encap_strerror(rc));
		return;
	}
	if (!decap_allowed(u, &d)) {
		u->st.decap_filtered++;
		return;
	}
	tun_write(u, d.inner, d.inner_len);
}

/* Receive up to UTUN_BATCH packets from raw socket @fd into the rx slots. */
static int rx_batch(struct utun *u, int fd)
{
	int n;

	for (unsigned i = 0; i < UTUN_BATCH; i++) {
		u->riov[i].iov_base = rx_slot(u, i);
		u->riov[i].iov_len = UTUN_SLOT_STRIDE;
		u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
		u->rmsg[i].msg_hdr.msg_iovlen = 1;
		u->rmsg[i].msg_hdr.msg_name = NULL;
		u->rmsg[i].msg_hdr.msg_namelen = 0;
		u->rmsg[i].msg_hdr.msg_control = NULL;
		u->rmsg[i].msg_hdr.msg_controllen = 0;
		u->rmsg[i].msg_hdr.msg_flags = 0;
	}
	do
		n = recvmmsg(fd, u->rmsg, UTUN_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && warn_ok(u))
		log_warn("utun", "recvmmsg");
	return n;
}

static void raw_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;
	int n = rx_batch(u, io->fd);

	(void)events;
	u->now = mip_now_ms();
	for (int i = 0; i < n; i++)
		decap_one(u, rx_slot(u, (unsigned)i), u->rmsg[i].msg_len);
	tun_write_flush(u);
}

/* RFC 1191 7: a plateau below a datagram of @len when the router sent no MTU. */
static uint32_t mtu_plateau(uint32_t len)
{
	static const uint32_t pl[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };

	for (size_t i = 0; i < sizeof(pl) / sizeof(pl[0]); i++)
		if (pl[i] < len)
			return pl[i];
	return ENCAP_IP_MIN_MTU;
}

static bool fwd_has(struct utun *u, struct in_addr dst)
{
	struct hkey k = hkey1(dst);

	return htab_find(&u->fwd, &k) != NULL;
}

/* An ICMP error from inside a tunnel (RFC 2003 section 4). */
static void icmp_one(struct utun *u, const uint8_t *p, size_t len)
{
	static struct encap_icmp r;     /* 560 bytes; the engine is single-threaded */
	struct hkey k;
	struct peer *pr;
	struct encap_params ep;
	uint8_t type = ICMP_T_UNREACH, code;
	uint16_t mtu = 0;
	int rc = encap_icmp_parse(p, len, &r);

	if (rc < 0 && rc != -ENCAP_E_ICMP_NOINNER)
		return;
	k = hkey1(r.outer_dst);
	pr = (struct peer *)htab_find(&u->peers, &k);
	if (!pr)
		return;                 /* not about a packet of ours */
	if (r.type == ICMP_T_UNREACH && r.code == ICMP_C_NEEDFRAG) {
		/* Soft state (RFC 2003 5.1), even when the quote is too short
		 * to relay: later datagrams get our own Datagram Too Big. */
		uint32_t m = r.mtu;

		if (m == 0)
			m = mtu_plateau(r.outer_len);
		if (m < ENCAP_IP_MIN_MTU)
			m = ENCAP_IP_MIN_MTU;
		if (m < r.outer_len || r.outer_len == 0) {
			pr->pmtu = m;
			pr->pmtu_expire = u->now + UTUN_PMTU_AGE_MS;
			log_info("utun", "path MTU to %s is %u", inet_ntoa(pr->remote), m);
		}
	}
	if (rc < 0)
		return;                 /* RFC 2003 5: not enough to relay */
	switch (r.type) {
	case ICMP_T_UNREACH:
		switch (r.code) {
		case ICMP_C_NET:
		case ICMP_C_PROTO:
			/* 4.1: code 1 when the destination is "on our network"
			 * (a mobile node we forward for), else code 0. */
			code = fwd_has(u, ip_dst(r.inner)) ? ICMP_C_HOST : ICMP_C_NET;
			break;
		case ICMP_C_HOST:
			code = ICMP_C_HOST;
			break;
		case ICMP_C_NEEDFRAG:
			code = ICMP_C_NEEDFRAG;
			ep.src = r.outer_src;
			ep.dst = r.outer_dst;
			ep.type = r.encap;
			{
				int ovh = encap_overhead(&ep, r.inner);
				uint32_t m = pr->pmtu ? pr->pmtu : r.mtu;

				if (ovh < 0 || m < (uint32_t)ovh + ENCAP_IP_MIN_MTU)
					mtu = ENCAP_IP_MIN_MTU;
				else
					mtu = (uint16_t)(m - (uint32_t)ovh);
			}
			break;
		default:
			return;         /* port unreachable, source route failed, others: not relayed */
		}
		break;
	case ICMP_T_TIMXCEED:
		code = ICMP_C_HOST;     /* 4.4 */
		break;
	default:
		return;                 /* source quench, redirect, parameter problem: not relayed */
	}
	if (log_debug_enabled("utun")) {
		char from[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN];
		struct in_addr s = ip_src(r.inner);

		inet_ntop(AF_INET, &r.from, from, sizeof(from));
		inet_ntop(AF_INET, &s, to, sizeof(to));
		log_debug("utun", "ICMP %u/%u from %s in the tunnel: relaying %u/%u to %s",
			  r.type, r.code, from, type, code, to);
	}
	if (icmp_send(u, type, code, mtu, r.inner, r.inner_len))
		u->st.icmp_relayed++;
}

static void icmp_readable(struct ev_io *io, uint32_t events)
{
	struct utun *u = ((struct utun_io *)io)->u;
	int n = rx_batch(u, io->fd);

	(void)events;
	u->now = mip_now_ms();
	for (int i = 0; i < n; i++)
		icmp_one(u, rx_slot(u, (unsigned)i), u->rmsg[i].msg_len);
}

/* ---- setup ---- */

static int raw_socket(int proto)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	int sz = UTUN_SOCKBUF;

	if (fd < 0) {
		log_warn("utun", "raw socket for protocol %d", proto);
		return -1;
	}
	if (proto == IPPROTO_RAW) {
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	} else if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	return fd;
}

/* The largest MTU of the non-loopback interfaces other than TUN devices of
 * ours: the link our tunnels are likely to use (1500 if none). */
static int default_link_mtu(int ctl_fd, const char *self)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int best = 0;

	if (!ifs)
		return 1500;
	for (i = ifs; i->if_index; i++) {
		struct ifreq ifr;

		if (!strcmp(i->if_name, self))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(ctl_fd, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & (IFF_LOOPBACK | IFF_POINTOPOINT)))
			continue;
		if (ioctl(ctl_fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > best)
			best = ifr.ifr_mtu;
	}
	if_freenameindex(ifs);
	return best ? best : 1500;
}

static void disable_ipv6(const char *ifname)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		log_debug("utun", "disable IPv6 on %s: %s", ifname, strerror(errno));
	close(fd);
}

static int tun_create(struct utun *u, const char *pattern, int mtu)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		log_warn("utun", "open /dev/net/tun");
		return -1;
	}
	u->tun.io.fd = fd;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pattern);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		log_warn("utun", "TUNSETIFF %s", pattern);
		return -1;
	}
	memcpy(u->ifname, ifr.ifr_name, IFNAMSIZ);
	u->ifname[IFNAMSIZ - 1] = 0;
	u->ifindex = (int)if_nametoindex(u->ifname);
	if (mtu <= 0)
		mtu = default_link_mtu(u->ctl_fd, u->ifname) - ENCAP_GRE_OVERHEAD;
	if (mtu < ENCAP_IP_MIN_MTU)
		mtu = ENCAP_IP_MIN_MTU;
	if (mtu > 65535)
		mtu = 65535;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, u->ifname, IFNAMSIZ);
	ifr.ifr_mtu = mtu;
	if (ioctl(u->ctl_fd, SIOCSIFMTU, &ifr) < 0) {
		log_warn("utun", "set MTU %d on %s", mtu, u->ifname);
		return -1;
	}
	u->mtu = mtu;
	ifr.ifr_qlen = 1000;
	if (ioctl(u->ctl_fd, SIOCSIFTXQLEN, &ifr) < 0)
		log_debug("utun", "txqueuelen %s: %s", u->ifname, strerror(errno));
	disable_ipv6(u->ifname);
	if (ioctl(u->ctl_fd, SIOCGIFFLAGS, &ifr) < 0) {
		log_warn("utun", "SIOCGIFFLAGS %s", u->ifname);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(u->ctl_fd, SIOCSIFFLAGS, &ifr) < 0) {
		log_warn("utun", "set %s up", u->ifname);
		return -1;
	}
	return 0;
}

static int watch(struct utun *u, struct utun_io *w, ev_io_cb cb)
{
	w->u = u;
	w->io.cb = cb;
	return ev_add(u->loop, &w->io, EPOLLIN);
}

static void free_fwd(struct hnode *n)
{
	free(((struct fwd *)n)->t);
	free(n);
}

static void free_node(struct hnode *n)
{
	free(n);
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Read the TUN device with read() from now on. */
static void use_read_loop(struct utun *u)
{
	if (u->ring_io.u) {
		ev_del(u->loop, &u->ring_io.io);
		u->ring_io.u = NULL;
	}
	set_nonblock(u->tun.io.fd, true);
	if (watch(u, &u->tun, tun_readable) < 0)
		log_warnx("utun", "%s is not watched any more", u->ifname);
}

/* Set up io_uring for the TUN device; false (and nothing changed) if the
 * kernel lacks what we need. */
static bool uring_setup(struct utun *u)
{
	struct io_uring_buf_reg reg;
	void *mem;
	const char *no = getenv(UTUN_NO_URING_ENV);

	if (no && *no && strcmp(no, "0"))
		return false;
	if (uring_init(&u->rd, UTUN_BATCH) < 0)
		return false;
	if (uring_init(&u->wr, UTUN_BATCH) < 0)
		goto fail;
	if (!uring_supports(&u->rd, UTUN_OP_READ_MULTISHOT) || !uring_supports(&u->rd, IORING_OP_WRITE))
		goto fail;
	if (posix_memalign(&mem, 4096, UTUN_BATCH * sizeof(struct io_uring_buf)))
		goto fail;
	memset(mem, 0, UTUN_BATCH * sizeof(struct io_uring_buf));
	u->br = mem;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = UTUN_BATCH;
	reg.bgid = 0;
	if (syscall(__NR_io_uring_register, u->rd.fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0)
		goto fail;
	u->br_tail = 0;
	for (unsigned i = 0; i < UTUN_BATCH; i++)
		br_add(u, i);
	br_publish(u);
	/* io_uring waits for the device itself (poll); O_NONBLOCK would make
	 * the multishot read end with -EAGAIN on some kernels */
	set_nonblock(u->tun.io.fd, false);
	u->ring_io.io.fd = u->rd.fd;
	if (watch(u, &u->ring_io, ring_readable) < 0 || rd_arm(u) < 0) {
		if (u->ring_io.u)
			ev_del(u->loop, &u->ring_io.io);
		u->ring_io.u = NULL;
		set_nonblock(u->tun.io.fd, true);
		goto fail;
	}
	u->use_uring = true;
	return true;
fail:
	uring_free(&u->rd);
	uring_free(&u->wr);
	free(u->br);
	u->br = NULL;
	return false;
}

struct utun *utun_open(const char *name_pattern, struct ev_loop *loop, int mtu)
{
	static const int protos[3] = { IPPROTO_IPIP, IPPROTO_MINENC, IPPROTO_GRE };
	struct utun *u = calloc(1, sizeof(*u));
	uint32_t icmp_mask;

	if (!u) {
		log_warn("utun", "calloc");
		return NULL;
	}
	u->loop = loop;
	u->ttl = ENCAP_TTL_DEFAULT;
	u->ctl_fd = u->tx_fd = u->tun.io.fd = u->icmp.io.fd = -1;
	for (int i = 0; i < 3; i++)
		u->raw[i].io.fd = -1;
	u->rd.fd = u->wr.fd = -1;
	u->rx = malloc((size_t)UTUN_BATCH * UTUN_SLOT_STRIDE);
	u->tunrx = malloc((size_t)UTUN_BATCH * UTUN_SLOT_STRIDE);
	u->arena = malloc(UTUN_ARENA);
	u->scratch = malloc(65536 + ENCAP_HDR_MAX);
	if (!u->rx || !u->tunrx || !u->arena || !u->scratch || htab_init(&u->fwd) || htab_init(&u->rev) ||
	    htab_init(&u->pairs) || htab_init(&u->filters) || htab_init(&u->peers)) {
		log_warn("utun", "allocation");
		goto fail;
	}
	for (unsigned i = 0; i < UTUN_TXQ; i++) {
		u->tdst[i].sin_family = AF_INET;
		u->tmsg[i].msg_hdr.msg_name = &u->tdst[i];
		u->tmsg[i].msg_hdr.msg_namelen = sizeof(u->tdst[i]);
		u->tmsg[i].msg_hdr.msg_iov = u->tiov[i];
	}
	u->ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->ctl_fd < 0) {
		log_warn("utun", "socket");
		goto fail;
	}
	if (tun_create(u, name_pattern, mtu) < 0)
		goto fail;
	u->tx_fd = raw_socket(IPPROTO_RAW);
	if (u->tx_fd < 0)
		goto fail;
	for (int i = 0; i < 3; i++) {
		u->raw[i].io.fd = raw_socket(protos[i]);
		if (u->raw[i].io.fd < 0 || watch(u, &u->raw[i], raw_readable) < 0)
			goto fail;
	}
	u->icmp.io.fd = raw_socket(IPPROTO_ICMP);
	if (u->icmp.io.fd < 0)
		goto fail;
	/* Only Destination Unreachable and Time Exceeded matter (RFC 2003 4). */
	icmp_mask = ~((1u << ICMP_T_UNREACH) | (1u << ICMP_T_TIMXCEED));
	if (setsockopt(u->icmp.io.fd, SOL_RAW, UTUN_ICMP_FILTER, &icmp_mask, sizeof(icmp_mask)) < 0)
		log_warn("utun", "ICMP_FILTER");
	if (watch(u, &u->icmp, icmp_readable) < 0)
		goto fail;
	if (!uring_setup(u) && watch(u, &u->tun, tun_readable) < 0)
		goto fail;
	log_info("utun", "%s up, MTU %d, %s", u->ifname, u->mtu,
		 u->use_uring ? "io_uring" : "read/write");
	return u;
fail:
	utun_close(u);
	return NULL;
}

void utun_close(struct utun *u)
{
	struct utun_io *ios[5] = { &u->tun, &u->raw[0], &u->raw[1], &u->raw[2], &u->icmp };

	if (!u)
		return;
	if (u->ring_io.u)
		ev_del(u->loop, &u->ring_io.io);
	uring_free(&u->rd);
	uring_free(&u->wr);
	free(u->br);
	for (int i = 0; i < 5; i++) {
		if (ios[i]->io.fd < 0)
			continue;
		if (ios[i]->u)
			ev_del(u->loop, &ios[i]->io);
		close(ios[i]->io.fd);
	}
	if (u->tx_fd >= 0)
		close(u->tx_fd);
	if (u->ctl_fd >= 0)
		close(u->ctl_fd);
	htab_free(&u->fwd, free_fwd);
	htab_free(&u->rev, free_node);
	htab_free(&u->pairs, free_node);
	htab_free(&u->filters, free_node);
	htab_free(&u->peers, free_node);
	free(u->rx);
	free(u->tunrx);
	free(u->arena);
	free(u->scratch);
	free(u);
}

const char *utun_ifname(const struct utun *u)
{
	return u->ifname;
}

int utun_ifindex(const struct utun *u)
{
	return u->ifindex;
}

int utun_mtu(const struct utun *u)
{
	return u->mtu;
}

int utun_set_ttl(struct utun *u, int ttl)
{
	if (ttl < 1 || ttl > 255) {
		errno = EINVAL;
		return -1;
	}
	u->ttl = (uint8_t)ttl;
	return 0;
}

static int encap_valid(enum dp_encap e)
{
	if (e != DP_ENCAP_IPIP && e != DP_ENCAP_MINIMAL && e != DP_ENCAP_GRE) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int utun_fwd_add(struct utun *u, struct in_addr inner_dst, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap)
{
	struct hkey k = hkey1(inner_dst);
	struct fwd *f = (struct fwd *)htab_find(&u->fwd, &k);
	struct tunnel *t;
	bool fresh = false;

	if (encap_valid(encap) < 0)
		return -1;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -1;
		f->h.key = k;
		fresh = true;
	}
	for (unsigned i = 0; i < f->n; i++)
		if (f->t[i].remote.s_addr == remote.s_addr) {
			f->t[i].local = local;
			f->t[i].encap = encap;
			return 0;
		}
	if (f->n == UTUN_MAX_TUNNELS) {
		errno = ENOSPC;
		return -1;
	}
	if (f->n == f->cap) {
		unsigned ncap = f->cap ? f->cap * 2 : 2;
		struct tunnel *nt = realloc(f->t, ncap * sizeof(*nt));

		if (!nt)
			goto fail;
		f->t = nt;
		f->cap = ncap;
	}
	t = &f->t[f->n];
	t->peer = peer_get(u, remote);
	if (!t->peer)
		goto fail;
	t->local = local;
	t->remote = remote;
	t->encap = encap;
	f->n++;
	if (fresh)
		htab_insert(&u->fwd, &f->h);
	return 0;
fail:
	if (fresh)
		free_fwd(&f->h);
	errno = ENOMEM;
	return -1;
}

int utun_fwd_del(struct utun *u, struct in_addr inner_dst, struct in_addr remote)
{
	struct hkey k = hkey1(inner_dst);
	struct fwd *f = (struct fwd *)htab_find(&u->fwd, &k);

	if (f)
		for (unsigned i = 0; i < f->n; i++) {
			if (f->t[i].remote.s_addr != remote.s_addr)
				continue;
			peer_put(u, f->t[i].peer);
			f->t[i] = f->t[--f->n];
			if (!f->n) {
				htab_remove(&u->fwd, &f->h);
				free_fwd(&f->h);
			}
			return 0;
		}
	errno = ENOENT;
	return -1;
}

int utun_rev_add(struct utun *u, struct in_addr inner_src, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap)
{
	struct hkey k = hkey1(inner_src);
	struct rev *r = (struct rev *)htab_find(&u->rev, &k);
	struct peer *p;

	if (encap_valid(encap) < 0)
		return -1;
	p = peer_get(u, remote);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	if (r) {
		peer_put(u, r->t.peer);
	} else {
		r = calloc(1, sizeof(*r));
		if (!r) {
			peer_put(u, p);
			errno = ENOMEM;
			return -1;
		}
		r->h.key = k;
		htab_insert(&u->rev, &r->h);
	}
	r->t.local = local;
	r->t.remote = remote;
	r->t.encap = encap;
	r->t.peer = p;
	return 0;
}

int utun_rev_del(struct utun *u, struct in_addr inner_src)
{
	struct hkey k = hkey1(inner_src);
	struct rev *r = (struct rev *)htab_find(&u->rev, &k);

	if (!r) {
		errno = ENOENT;
		return -1;
	}
	peer_put(u, r->t.peer);
	htab_remove(&u->rev, &r->h);
	free(r);
	return 0;
}

static int filter_class(struct in_addr s, struct in_addr d)
{
	if (s.s_addr && d.s_addr)
		return DF_SD;
	if (s.s_addr)
		return DF_S;
	return d.s_addr ? DF_D : DF_ANY;
}

int utun_decap_add(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst)
{
	struct in_addr z = { 0 };
	struct hkey fk = hkey4(remote, local, inner_src, inner_dst), pk = hkey4(remote, local, z, z);
	struct dfilt *f = (struct dfilt *)htab_find(&u->filters, &fk);
	struct dpair *p;

	if (f) {
		f->refs++;
		return 0;
	}
	p = (struct dpair *)htab_find(&u->pairs, &pk);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		p->h.key = pk;
		htab_insert(&u->pairs, &p->h);
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		bool empty = true;

		for (int i = 0; i < DF_NCLASS; i++)
			empty = empty && !p->cls[i];
		if (empty) {
			htab_remove(&u->pairs, &p->h);
			free(p);
		}
		errno = ENOMEM;
		return -1;
	}
	f->h.key = fk;
	f->refs = 1;
	htab_insert(&u->filters, &f->h);
	p->cls[filter_class(inner_src, inner_dst)]++;
	return 0;
}

int utun_decap_del(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst)
{
	struct in_addr z = { 0 };
	struct hkey fk = hkey4(remote, local, inner_src, inner_dst), pk = hkey4(remote, local, z, z);
	struct dfilt *f = (struct dfilt *)htab_find(&u->filters, &fk);
	struct dpair *p = (struct dpair *)htab_find(&u->pairs, &pk);
	bool empty = true;

	if (!f || !p) {
		errno = ENOENT;
		return -1;
	}
	if (--f->refs)
		return 0;
	htab_remove(&u->filters, &f->h);
	free(f);
	p->cls[filter_class(inner_src, inner_dst)]--;
	for (int i = 0; i < DF_NCLASS; i++)
		empty = empty && !p->cls[i];
	if (empty) {
		htab_remove(&u->pairs, &p->h);
		free(p);
	}
	return 0;
}

void utun_get_stats(const struct utun *u, struct utun_stats *st)
{
	*st = u->st;
}
