/* Deferred, batched reply sending (see outq.h): the queued datagrams go out
 * with sendmmsg(). */
#include "config.h"
#include <string.h>
#include <sys/socket.h>
#include "log.h"
#include "outq.h"

int outq_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	struct outq *q = ctx;

	if (len > OUTQ_SLOT_SIZE) {
		log_warnx("net", "reply of %zu bytes too large to queue", len);
		return -1;
	}
	if (q->n == OUTQ_SLOTS)
		outq_flush(q);
	q->pi[q->n] = *pi;
	q->len[q->n] = len;
	memcpy(q->data[q->n], p, len);
	q->n++;
	return 0;
}

void outq_flush(struct outq *q)
{
	uint8_t *p[OUTQ_SLOTS];

	if (q->before_flush)
		q->before_flush(q->arg);
	for (unsigned i = 0; i < q->n; i++)
		p[i] = q->data[i];
	/* one sendmmsg() for the turn's replies; failures are logged there */
	net_udp_send_batch(q->fd, q->pi, p, q->len, q->n);
	q->n = 0;
}
