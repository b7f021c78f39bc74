/* The one event loop: epoll for descriptors, the timer heap for deadlines,
 * signalfd for signals.  No threads on the protocol path. */
#ifndef MIP_EVENT_H
#define MIP_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "timer.h"

struct ev_io;
typedef void (*ev_io_cb)(struct ev_io *io, uint32_t events);

struct ev_io {
	int fd;
	ev_io_cb cb;
};

struct ev_loop {
	int epfd;
	bool stop;
	struct timer_heap timers;
	size_t max_timers_per_turn;   /* bound the work of one turn */
	void (*turn_end)(struct ev_loop *loop, void *arg);  /* after each turn (batching) */
	void *turn_arg;
};

int ev_init(struct ev_loop *loop);
void ev_free(struct ev_loop *loop);
/** Watch @io->fd for EPOLLIN-style @events. */
int ev_add(struct ev_loop *loop, struct ev_io *io, uint32_t events);
void ev_del(struct ev_loop *loop, struct ev_io *io);
/** Change the events watched on @io. */
int ev_mod(struct ev_loop *loop, struct ev_io *io, uint32_t events);
/** Run until ev_stop(); returns 0, or -1 on an epoll failure. */
int ev_run(struct ev_loop *loop);
/** Run one turn waiting at most @max_wait_ms (-1: until something happens). */
int ev_run_once(struct ev_loop *loop, int max_wait_ms);
static inline void ev_stop(struct ev_loop *loop) { loop->stop = true; }

#endif
