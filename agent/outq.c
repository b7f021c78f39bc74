/* Deferred, batched reply sending (see outq.h): the queued datagrams go out
 * with sendmmsg(), the frames one by one. */
#include "config.h"
#include <string.h>
#include <sys/socket.h>
#include "log.h"
#include "outq.h"

/* The next free slot for @len bytes (flushing a full queue first), or -1. */
static int outq_slot(struct outq *q, size_t len)
{
	if (len > OUTQ_SLOT_SIZE) {
		log_warnx("net", "reply of %zu bytes too large to queue", len);
		return -1;
	}
	if (q->n == OUTQ_SLOTS)
		outq_flush(q);
	return (int)q->n++;
}

int outq_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	struct outq *q = ctx;
	int i = outq_slot(q, len);

	if (i < 0)
		return -1;
	q->pi[i] = *pi;
	q->ifindex[i] = 0;
	q->len[i] = len;
	memcpy(q->data[i], p, len);
	return 0;
}

int outq_send_frame(struct outq *q, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len)
{
	int i = ifindex > 0 && q->frame_send ? outq_slot(q, len) : -1;

	if (i < 0)
		return -1;
	q->ifindex[i] = ifindex;
	q->broadcast[i] = !mac;
	if (mac)
		memcpy(q->mac[i], mac, 6);
	q->len[i] = len;
	memcpy(q->data[i], ip, len);
	return 0;
}

void outq_flush(struct outq *q)
{
	struct mip_pkt_info pi[OUTQ_SLOTS];
	uint8_t *p[OUTQ_SLOTS];
	size_t len[OUTQ_SLOTS];
	unsigned n = 0;

	if (q->before_flush)
		q->before_flush(q->arg);
	for (unsigned i = 0; i < q->n; i++) {
		if (q->ifindex[i]) {    /* failures are logged by the sender */
			q->frame_send(q->frame_ctx, q->ifindex[i], q->broadcast[i] ? NULL : q->mac[i],
				      q->data[i], q->len[i]);
			continue;
		}
		pi[n] = q->pi[i];
		p[n] = q->data[i];
		len[n++] = q->len[i];
	}
	/* one sendmmsg() for the turn's datagrams; failures are logged there */
	net_udp_send_batch(q->fd, pi, p, len, n);
	q->n = 0;
}
