/* The userspace tunnel engine's batched I/O: raw sockets by sendmmsg/recvmmsg, the TUN device by io_uring. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "event.h"
#include "log.h"
#include "timer.h"
#include "utun.h"
#include "utun_int.h"

#define UTUN_OP_READ_MULTISHOT 49       /* IORING_OP_READ_MULTISHOT, Linux 6.7 */
#define UTUN_NO_URING_ENV "MIPAGENT_UTUN_NO_IO_URING"

static inline uint8_t *rx_slot(struct utun *u, unsigned i)
{
	return u->rx + (size_t)i * UTUN_SLOT_STRIDE;
}

static inline uint8_t *tun_slot(struct utun *u, unsigned i)
{
	return u->tunrx + (size_t)i * UTUN_SLOT_STRIDE;
}

/* ---- io_uring, without liburing ----
 *
 * A TUN device is a character device: one read() or write() per packet, and
 * a system call costs about 1 us on the virtual machines we run on.  With
 * io_uring one multishot read (Linux 6.7) fills provided buffers as packets
 * arrive and one io_uring_enter() writes a whole batch.  Without io_uring
 * (or with MIPAGENT_UTUN_NO_IO_URING set) the engine falls back to read()
 * and write() loops. */

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

/* ---- output to the raw socket ---- */

void utun_tx_flush(struct utun *u)
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
			utun_peer_refresh(u, u->tpeer[off]);
			u->st.too_big++;
		}
		if (utun_warn_ok(u))
			log_warn("utun", "send to %s", inet_ntoa(u->tdst[off].sin_addr));
		u->st.send_errors++;
		off++;
	}
	u->tn = 0;
	u->arena_used = 0;
}

/* The next free queue entry and, in *@buf, room for @bytes in the fragment
 * arena; flushes the queue first when either is full, so the two agree. */
unsigned utun_tx_reserve(struct utun *u, size_t bytes, uint8_t **buf)
{
	if (u->tn == UTUN_TXQ || u->arena_used + bytes > UTUN_ARENA)
		utun_tx_flush(u);
	if (buf)
		*buf = u->arena + u->arena_used;
	return u->tn;
}

void utun_tx_commit(struct utun *u, unsigned i, struct peer *p, const void *a, size_t alen,
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

/* ---- the TUN device ---- */

void utun_tun_readable(struct ev_io *io, uint32_t events)
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
			if (errno != EAGAIN && utun_warn_ok(u))
				log_warn("utun", "read %s", u->ifname);
			break;
		}
		utun_encap_one(u, p, (size_t)n);
	}
	utun_tx_flush(u);
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
	if (utun_watch(u, &u->tun, utun_tun_readable) < 0)
		log_warnx("utun", "%s is not watched any more", u->ifname);
}

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
					utun_encap_one(u, tun_slot(u, bid), (size_t)res);
			}
		} else if (res < 0 && res != -ENOBUFS && res != -EAGAIN) {
			if (res == -EINVAL || res == -EOPNOTSUPP || res == -EBADFD) {
				log_info("utun", "multishot read of %s not possible (%s): read() loop",
					 u->ifname, strerror(-res));
				utun_tx_flush(u);
				use_read_loop(u);
				return;
			}
			if (utun_warn_ok(u))
				log_warnx("utun", "read %s: %s", u->ifname, strerror(-res));
		}
	}
	/* queued packets point into the buffers: send before recycling them */
	utun_tx_flush(u);
	for (unsigned i = 0; i < nd; i++)
		br_add(u, done[i]);
	br_publish(u);
	if (!u->rd_armed && rd_arm(u) < 0 && utun_warn_ok(u))
		log_warn("utun", "io_uring read of %s", u->ifname);
}

/* Queue a decapsulated packet for the TUN device (written now without io_uring). */
void utun_tun_write(struct utun *u, int fd, const uint8_t *p, size_t len)
{
	if (u->use_uring) {
		struct io_uring_sqe *e = uring_sqe(&u->wr);

		if (e) {
			e->opcode = IORING_OP_WRITE;
			e->fd = fd;
			e->addr = (uint64_t)(uintptr_t)p;
			e->len = (uint32_t)len;
			e->off = 0;
			e->user_data = len;
			u->wr_pending++;
			return;
		}
	}
	if (write(fd, p, len) < 0) {
		u->st.send_errors++;
		if (utun_warn_ok(u))
			log_warn("utun", "write to a TUN device");
		return;
	}
	u->st.decap_pkts++;
	u->st.decap_bytes += len;
}

/* Write the queued packets and wait until the kernel has them all. */
void utun_tun_write_flush(struct utun *u)
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
				if (utun_warn_ok(u))
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

/* ---- input from the raw sockets ---- */

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
	if (n < 0 && errno != EAGAIN && utun_warn_ok(u))
		log_warn("utun", "recvmmsg");
	return n;
}

void utun_rx_each(struct utun *u, int fd, utun_rx_fn one)
{
	int n = rx_batch(u, fd);

	u->now = mip_now_ms();
	for (int i = 0; i < n; i++)
		one(u, rx_slot(u, (unsigned)i), u->rmsg[i].msg_len);
}

/* ---- io_uring setup and teardown ---- */

/* Set up io_uring for the TUN device; false (and nothing changed) if the
 * kernel lacks what we need. */
bool utun_uring_setup(struct utun *u)
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
	if (utun_watch(u, &u->ring_io, ring_readable) < 0 || rd_arm(u) < 0) {
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

void utun_uring_close(struct utun *u)
{
	if (u->ring_io.u)
		ev_del(u->loop, &u->ring_io.io);
	uring_free(&u->rd);
	uring_free(&u->wr);
	free(u->br);
}
