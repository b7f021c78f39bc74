/* The event loop (see event.h). */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "event.h"
#include "log.h"

#define EV_MAX_EVENTS 64

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

int ev_run_once(struct ev_loop *loop, int max_wait_ms)
{
	struct epoll_event evs[EV_MAX_EVENTS];
	uint64_t next = timer_next(&loop->timers), now = mip_now_ms();
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
	for (int i = 0; i < n; i++) {
		struct ev_io *io = evs[i].data.ptr;

		io->cb(io, evs[i].events);
	}
	timer_run(&loop->timers, mip_now_ms(), loop->max_timers_per_turn);
	if (loop->turn_end)
		loop->turn_end(loop, loop->turn_arg);
	return 0;
}

int ev_run(struct ev_loop *loop)
{
	while (!loop->stop)
		if (ev_run_once(loop, -1) < 0)
			return -1;
	return 0;
}
