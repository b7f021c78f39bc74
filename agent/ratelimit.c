/* Admission control: token buckets per source and overall (see ratelimit.h). */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "counters.h"
#include "ratelimit.h"

#define RL_MAX_TRUSTED (1u << 20)      /* known sources at most (bindings bound them anyway) */
#define RL_SWEEP_BUCKETS 4096          /* trust-table buckets looked at per rl_expire() */

/* A token bucket; tokens in thousandths. */
struct rl_bucket {
	uint64_t tokens;
	uint64_t last_ms;
};

/* An unknown source being tracked. */
struct rl_src {
	struct rl_src *hnext;                   /* hash chain */
	struct rl_src *newer, *older;           /* recency list */
	uint32_t addr;                          /* network order */
	bool dropping;                          /* its last datagram was dropped */
	struct rl_bucket b;
};

/* A known source. */
struct rl_trusted {
	struct rl_trusted *next;
	uint32_t addr;
	uint64_t until_ms;
};

struct ratelimit {
	struct rl_limits lim;
	uint64_t k0, k1;                        /* hash key */
	struct rl_bucket global, trusted_bucket;
	/* unknown sources: a pool of lim.max_sources entries */
	struct rl_src *pool;
	size_t used;
	struct rl_src **heads;
	size_t nheads;                          /* a power of two */
	struct rl_src *newest, *oldest;
	/* known sources */
	struct rl_trusted **theads;
	size_t ntheads, ntrusted, sweep;
	uint64_t evicted;
	bool first_drop;
};

static uint32_t rl_hash(const struct ratelimit *rl, uint32_t a)
{
	uint64_t x = ((uint64_t)a ^ rl->k0) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	x = (x ^ rl->k1) * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint32_t)x;
}

static void bucket_fill(struct rl_bucket *b, unsigned burst)
{
	b->tokens = (uint64_t)burst * 1000;
	b->last_ms = 0;
}

/* Take one token from @b (refilled at @rate per second up to @burst). */
static bool bucket_take(struct rl_bucket *b, unsigned rate, unsigned burst, uint64_t now)
{
	uint64_t cap = (uint64_t)(burst ? burst : 1) * 1000;

	if (!rate)
		return true;
	if (now > b->last_ms) {
		uint64_t dt = now - b->last_ms;

		b->tokens = dt > cap / rate ? cap : b->tokens + dt * rate;
		if (b->tokens > cap)
			b->tokens = cap;
		b->last_ms = now;
	}
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* (Re)build the per-source table for lim.max_sources entries, empty. */
static int rl_alloc_sources(struct ratelimit *rl, unsigned max)
{
	size_t nheads = pow2_at_least(max ? max : 1);
	struct rl_src *pool = calloc(max ? max : 1, sizeof(*pool));
	struct rl_src **heads = calloc(nheads, sizeof(*heads));

	if (!pool || !heads) {
		free(pool);
		free(heads);
		return -1;
	}
	free(rl->pool);
	free(rl->heads);
	rl->pool = pool;
	rl->heads = heads;
	rl->nheads = nheads;
	rl->used = 0;
	rl->newest = rl->oldest = NULL;
	return 0;
}

struct ratelimit *rl_new(const struct rl_limits *lim)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	uint64_t key[2];

	if (!rl)
		return NULL;
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
		key[1] = (uint64_t)(uintptr_t)rl * 0xbf58476d1ce4e5b9ull ^ key[0];
	}
	rl->k0 = key[0];
	rl->k1 = key[1];
	rl->ntheads = 256;
	rl->theads = calloc(rl->ntheads, sizeof(*rl->theads));
	if (!rl->theads || rl_configure(rl, lim) < 0) {
		rl_free(rl);
		return NULL;
	}
	return rl;
}

void rl_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; rl->theads && i < rl->ntheads; i++) {
		struct rl_trusted *t, *next;

		for (t = rl->theads[i]; t; t = next) {
			next = t->next;
			free(t);
		}
	}
	free(rl->theads);
	free(rl->pool);
	free(rl->heads);
	free(rl);
}

int rl_configure(struct ratelimit *rl, const struct rl_limits *lim)
{
	if ((!rl->pool || lim->max_sources != rl->lim.max_sources) &&
	    rl_alloc_sources(rl, lim->max_sources) < 0)
		return -1;
	if (lim->burst != rl->lim.burst || lim->rate != rl->lim.rate || !rl->global.last_ms)
		bucket_fill(&rl->global, lim->burst);
	if (lim->trusted_burst != rl->lim.trusted_burst || lim->trusted_rate != rl->lim.trusted_rate ||
	    !rl->trusted_bucket.last_ms)
		bucket_fill(&rl->trusted_bucket, lim->trusted_burst);
	rl->lim = *lim;
	return 0;
}

/* ---- unknown sources ---- */

static void lru_unlink(struct ratelimit *rl, struct rl_src *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else
		rl->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else
		rl->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void lru_push(struct ratelimit *rl, struct rl_src *s)
{
	s->older = rl->newest;
	s->newer = NULL;
	if (rl->newest)
		rl->newest->newer = s;
	rl->newest = s;
	if (!rl->oldest)
		rl->oldest = s;
}

static void hash_unlink(struct ratelimit *rl, struct rl_src *s)
{
	struct rl_src **pp = &rl->heads[rl_hash(rl, s->addr) & (rl->nheads - 1)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
}

/* The entry of @addr, made (evicting the least recently seen) if missing. */
static struct rl_src *rl_source(struct ratelimit *rl, uint32_t addr)
{
	struct rl_src **head = &rl->heads[rl_hash(rl, addr) & (rl->nheads - 1)];
	struct rl_src *s;

	for (s = *head; s; s = s->hnext)
		if (s->addr == addr) {
			if (rl->newest != s) {
				lru_unlink(rl, s);
				lru_push(rl, s);
			}
			return s;
		}
	if (rl->used < (rl->lim.max_sources ? rl->lim.max_sources : 1)) {
		s = &rl->pool[rl->used++];
	} else {
		s = rl->oldest;
		lru_unlink(rl, s);
		hash_unlink(rl, s);
		rl->evicted++;
		mip_count(MIP_CTR_RL_SOURCES_EVICTED);
	}
	memset(s, 0, sizeof(*s));
	s->addr = addr;
	bucket_fill(&s->b, rl->lim.source_burst);
	s->hnext = *head;
	*head = s;
	lru_push(rl, s);
	return s;
}

enum rl_verdict rl_admit(struct ratelimit *rl, struct in_addr src, bool peer, uint64_t now_ms)
{
	struct rl_src *s;

	rl->first_drop = false;
	if (peer || rl_trusted(rl, src, now_ms)) {
		if (bucket_take(&rl->trusted_bucket, rl->lim.trusted_rate, rl->lim.trusted_burst, now_ms))
			return RL_PASS;
		return RL_DROP_TRUSTED;
	}
	s = rl_source(rl, src.s_addr);
	if (!bucket_take(&s->b, rl->lim.source_rate, rl->lim.source_burst, now_ms)) {
		rl->first_drop = !s->dropping;
		s->dropping = true;
		return RL_DROP_SOURCE;
	}
	if (!bucket_take(&rl->global, rl->lim.rate, rl->lim.burst, now_ms)) {
		/* give the source its token back: the drop is not its fault */
		s->b.tokens += 1000;
		return RL_DROP_GLOBAL;
	}
	s->dropping = false;
	return RL_PASS;
}

bool rl_first_drop(const struct ratelimit *rl)
{
	return rl->first_drop;
}

/* ---- known sources ---- */

static struct rl_trusted **trust_slot(struct ratelimit *rl, uint32_t addr)
{
	struct rl_trusted **pp = &rl->theads[rl_hash(rl, addr) & (rl->ntheads - 1)];

	while (*pp && (*pp)->addr != addr)
		pp = &(*pp)->next;
	return pp;
}

static void trust_grow(struct ratelimit *rl)
{
	size_t n = rl->ntheads * 2;
	struct rl_trusted **h = calloc(n, sizeof(*h));

	if (!h)
		return;                 /* longer chains, still correct */
	for (size_t i = 0; i < rl->ntheads; i++) {
		struct rl_trusted *t, *next;

		for (t = rl->theads[i]; t; t = next) {
			size_t k = rl_hash(rl, t->addr) & (n - 1);

			next = t->next;
			t->next = h[k];
			h[k] = t;
		}
	}
	free(rl->theads);
	rl->theads = h;
	rl->ntheads = n;
	rl->sweep = 0;
}

void rl_trust(struct ratelimit *rl, struct in_addr a, uint64_t until_ms)
{
	struct rl_trusted **pp = trust_slot(rl, a.s_addr), *t;

	if (*pp) {
		if ((*pp)->until_ms < until_ms)
			(*pp)->until_ms = until_ms;
		return;
	}
	if (rl->ntrusted >= RL_MAX_TRUSTED || !(t = calloc(1, sizeof(*t))))
		return;
	t->addr = a.s_addr;
	t->until_ms = until_ms;
	*pp = t;
	if (++rl->ntrusted > rl->ntheads)
		trust_grow(rl);
}

bool rl_trusted(struct ratelimit *rl, struct in_addr a, uint64_t now_ms)
{
	struct rl_trusted *t = *trust_slot(rl, a.s_addr);

	return t && t->until_ms > now_ms;
}

void rl_expire(struct ratelimit *rl, uint64_t now_ms)
{
	for (size_t n = 0; n < RL_SWEEP_BUCKETS && n < rl->ntheads; n++) {
		struct rl_trusted **pp = &rl->theads[rl->sweep];

		while (*pp) {
			if ((*pp)->until_ms <= now_ms) {
				struct rl_trusted *t = *pp;

				*pp = t->next;
				free(t);
				rl->ntrusted--;
			} else {
				pp = &(*pp)->next;
			}
		}
		rl->sweep = (rl->sweep + 1) & (rl->ntheads - 1);
	}
}

void rl_get_stats(const struct ratelimit *rl, struct rl_stats *st)
{
	st->sources = rl->used;
	st->trusted = rl->ntrusted;
	st->evicted = rl->evicted;
}
