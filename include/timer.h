/* Timers on CLOCK_MONOTONIC in a binary min-heap: schedule, move and cancel
 * cost O(log n), the next deadline O(1).  Each object embeds its timers and
 * finds itself from the callback with container_of(). */
#ifndef MIP_TIMER_H
#define MIP_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_NONE UINT64_MAX
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct mip_timer;
typedef void (*timer_cb)(struct mip_timer *t);

struct mip_timer {
	uint64_t when;          /* monotonic milliseconds */
	timer_cb cb;
	uint32_t idx;           /* position in the heap; UINT32_MAX when idle */
};

struct timer_heap {
	struct mip_timer **h;
	uint32_t n, cap;
};

/** Milliseconds of CLOCK_MONOTONIC. */
uint64_t mip_now_ms(void);

void timer_init(struct mip_timer *t, timer_cb cb);
static inline bool timer_pending(const struct mip_timer *t) { return t->idx != UINT32_MAX; }
/** Arm or re-arm @t for absolute monotonic time @when; -1 on allocation failure. */
int timer_schedule(struct timer_heap *th, struct mip_timer *t, uint64_t when);
void timer_cancel(struct timer_heap *th, struct mip_timer *t);
/** Deadline of the earliest timer, or TIMER_NONE. */
uint64_t timer_next(const struct timer_heap *th);
/** Run up to @max timers due at @now (each is disarmed before its callback);
 *  returns how many ran.  Bounding @max keeps one loop turn short when many
 *  timers fall due together. */
size_t timer_run(struct timer_heap *th, uint64_t now, size_t max);
void timer_heap_free(struct timer_heap *th);

#endif
