/* Replies held back until the end of the event-loop turn: the durable state
 * is committed first, then every queued datagram goes out.
 * So no reply announces a binding or visitor that a crash could still lose.
 * Two kinds share the slots: UDP datagrams (the home agent's replies, sent
 * on @fd) and link-layer frames (the foreign agent's replies to mobile
 * nodes, sent through @frame_send). */
#ifndef MIP_OUTQ_H
#define MIP_OUTQ_H

#include <stdbool.h>
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
	/** Send IPv4 datagram @ip on @ifindex to link-layer @mac (NULL: broadcast). */
	int (*frame_send)(void *ctx, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len);
	void *frame_ctx;
	struct mip_pkt_info pi[OUTQ_SLOTS];
	int ifindex[OUTQ_SLOTS];        /* a frame's interface; 0: a UDP datagram */
	uint8_t mac[OUTQ_SLOTS][6];
	bool broadcast[OUTQ_SLOTS];
	size_t len[OUTQ_SLOTS];
	uint8_t data[OUTQ_SLOTS][OUTQ_SLOT_SIZE];
};

/** The send op of struct mip_io_ops (@ctx is the struct outq). */
int outq_send(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
/** Queue a frame for frame_send (same arguments); 0 or -1. */
int outq_send_frame(struct outq *q, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len);
/** Run before_flush, then send everything queued. */
void outq_flush(struct outq *q);

#endif
