/* Replies held back until the end of the event-loop turn: the durable state
 * is committed first, then every queued datagram goes out.
 * So no reply announces a binding that a crash could still lose. */
#ifndef MIP_OUTQ_H
#define MIP_OUTQ_H

#include <stddef.h>
#include <stdint.h>
#include "net.h"

#define OUTQ_SLOTS 128
#define OUTQ_SLOT_SIZE 2048

struct outq {
	int fd;
	unsigned n;
	void (*before_flush)(void *arg);     /* e.g. commit the state */
	void *arg;
	struct mip_pkt_info pi[OUTQ_SLOTS];
	size_t len[OUTQ_SLOTS];
	uint8_t data[OUTQ_SLOTS][OUTQ_SLOT_SIZE];
};

/** The send op of struct mip_io_ops (@ctx is the struct outq). */
int outq_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
/** Run before_flush, then send everything queued. */
void outq_flush(struct outq *q);

#endif
