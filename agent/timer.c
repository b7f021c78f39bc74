/* Binary min-heap of timers (see timer.h). */
#include "config.h"
#include <stdlib.h>
#include <time.h>
#include "timer.h"

uint64_t mip_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void timer_init(struct mip_timer *t, timer_cb cb)
{
	t->when = TIMER_NONE;
	t->cb = cb;
	t->idx = UINT32_MAX;
}

static void heap_set(struct timer_heap *th, uint32_t i, struct mip_timer *t)
{
	th->h[i] = t;
	t->idx = i;
}

static void heap_up(struct timer_heap *th, uint32_t i)
{
	struct mip_timer *t = th->h[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (th->h[parent]->when <= t->when)
			break;
		heap_set(th, i, th->h[parent]);
		i = parent;
	}
	heap_set(th, i, t);
}

static void heap_down(struct timer_heap *th, uint32_t i)
{
	struct mip_timer *t = th->h[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= th->n)
			break;
		if (c + 1 < th->n && th->h[c + 1]->when < th->h[c]->when)
			c++;
		if (t->when <= th->h[c]->when)
			break;
		heap_set(th, i, th->h[c]);
		i = c;
	}
	heap_set(th, i, t);
}

int timer_schedule(struct timer_heap *th, struct mip_timer *t, uint64_t when)
{
	if (timer_pending(t)) {
		uint64_t old = t->when;

		t->when = when;
		if (when < old)
			heap_up(th, t->idx);
		else
			heap_down(th, t->idx);
		return 0;
	}
	if (th->n == th->cap) {
		uint32_t ncap = th->cap ? th->cap * 2 : 64;
		struct mip_timer **nh = realloc(th->h, ncap * sizeof(*nh));

		if (!nh)
			return -1;
		th->h = nh;
		th->cap = ncap;
	}
	t->when = when;
	heap_set(th, th->n++, t);
	heap_up(th, t->idx);
	return 0;
}

void timer_cancel(struct timer_heap *th, struct mip_timer *t)
{
	uint32_t i = t->idx;

	if (!timer_pending(t))
		return;
	t->idx = UINT32_MAX;
	if (i == --th->n)
		return;
	{
		struct mip_timer *moved = th->h[th->n];

		heap_set(th, i, moved);
		heap_down(th, i);
		heap_up(th, moved->idx);
	}
}

uint64_t timer_next(const struct timer_heap *th)
{
	return th->n ? th->h[0]->when : TIMER_NONE;
}

size_t timer_run(struct timer_heap *th, uint64_t now, size_t max)
{
	size_t ran = 0;

	while (ran < max && th->n && th->h[0]->when <= now) {
		struct mip_timer *t = th->h[0];

		timer_cancel(th, t);
		ran++;
		t->cb(t);
	}
	return ran;
}

void timer_heap_free(struct timer_heap *th)
{
	free(th->h);
	th->h = NULL;
	th->n = th->cap = 0;
}
