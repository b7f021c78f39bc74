/* The event loop (see event.h).  Each turn is timed: one longer than 10 ms
 * is counted (loop-stalls in `mipagentstat counters`) and logged at debug
 * level, and the due timers of a turn stop after a time budget. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/epoll.h>
#include "counters.h"
#include "event.h"
#include "log.h"

#define EV_MAX_EVENTS 64
#define EV_STALL_US 10000       /* a turn longer than this is counted (MIP_CTR_LOOP_STALLS) */
#define EV_TIMER_BUDGET_US 4000 /* due timers stop for this turn once it has run this long */
#define EV_TIMER_CHUNK 4        /* timers run between two looks at the clock */

static uint64_t ev_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int ev_init(struct ev_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		log_warn("event", "epoll_create1");
		return -1;
	}
	loop->max_timers_per_turn = 1024;
	return 0;
}

void ev_free(struct ev_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
	timer_heap_free(&loop->timers);
}

int ev_add(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0) {
		log_warn("event", "epoll_ctl add fd %d", io->fd);
		return -1;
	}
	return 0;
}

int ev_mod(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0) {
		log_warn("event", "epoll_ctl mod fd %d", io->fd);
		return -1;
	}
	return 0;
}

void ev_del(struct ev_loop *loop, struct ev_io *io)
{
	if (io->fd >= 0)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* The due timers, at most max_timers_per_turn of them and only while the
 * turn that began at @start is young: the rest run in the next turns, which
 * do not wait since they are due.  Thousands of bindings expiring together
 * never hold up the registrations. */
static void ev_run_timers(struct ev_loop *loop, uint64_t start)
{
	uint64_t now = mip_now_ms();
	size_t ran = 0;

	while (ran < loop->max_timers_per_turn) {
		size_t chunk = loop->max_timers_per_turn - ran, n;

		if (chunk > EV_TIMER_CHUNK)
			chunk = EV_TIMER_CHUNK;
		n = timer_run(&loop->timers, now, chunk);
		ran += n;
		if (n < chunk || ev_now_us() - start > EV_TIMER_BUDGET_US)
			break;
	}
}

int ev_run_once(struct ev_loop *loop, int max_wait_ms)
{
	struct epoll_event evs[EV_MAX_EVENTS];
	uint64_t next = timer_next(&loop->timers), now = mip_now_ms(), start, took;
	int wait = max_wait_ms, n;

	if (next != TIMER_NONE) {
		uint64_t until = next > now ? next - now : 0;

		if (wait < 0 || until < (uint64_t)wait)
			wait = (int)(until > 60000 ? 60000 : until);
	}
	n = epoll_wait(loop->epfd, evs, EV_MAX_EVENTS, wait);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		log_warn("event", "epoll_wait");
		return -1;
	}
	start = ev_now_us();
	for (int i = 0; i < n; i++) {
		struct ev_io *io = evs[i].data.ptr;

		io->cb(io, evs[i].events);
	}
	ev_run_timers(loop, start);
	if (loop->turn_end)
		loop->turn_end(loop, loop->turn_arg);
	took = ev_now_us() - start;
	if (took > EV_STALL_US) {
		mip_count(MIP_CTR_LOOP_STALLS);
		log_debug("event", "a loop turn took %llu.%llu ms (%d descriptors ready)",
			  (unsigned long long)(took / 1000), (unsigned long long)(took % 1000 / 100), n);
	}
	return 0;
}

int ev_run(struct ev_loop *loop)
{
	while (!loop->stop)
		if (ev_run_once(loop, -1) < 0)
			return -1;
	return 0;
}
