/* Admission control of the datagrams to port 434, applied before they are
 * parsed: token buckets per source address and for all sources together.
 *
 * Sources fall into two classes.  Known sources (configured peers, and the
 * addresses that registrations were accepted from, for as long as those
 * registrations last) share one bucket (trusted-rate) and have no bucket of
 * their own.  Every other source has its own bucket (source-rate) and all of
 * them share another one (rate), so a flood from many spoofed addresses can
 * use up the strangers' share but never the known sources'.
 *
 * The per-source table holds at most max-sources entries; the least recently
 * seen is forgotten to make room (a forgotten source starts again with a
 * full bucket, so the overall bucket is what bounds a flood from more
 * addresses than the table holds).  The hash is keyed with a random secret,
 * so an attacker cannot choose addresses that all land in one chain.
 * Memory: fixed once configured, about 64 bytes per tracked source, plus the
 * known sources (bounded by the bindings and visitors). */
#ifndef MIP_RATELIMIT_H
#define MIP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct rl_limits {
	unsigned source_rate, source_burst;     /* per unknown source; rate 0: no limit */
	unsigned rate, burst;                   /* all unknown sources together */
	unsigned trusted_rate, trusted_burst;   /* all known sources together */
	unsigned max_sources;                   /* unknown sources tracked */
};

enum rl_verdict {
	RL_PASS,
	RL_DROP_SOURCE,         /* the source's own bucket is empty */
	RL_DROP_GLOBAL,         /* the unknown sources' bucket is empty */
	RL_DROP_TRUSTED,        /* the known sources' bucket is empty */
};

struct ratelimit;

/** A limiter with @lim; NULL when out of memory. */
struct ratelimit *rl_new(const struct rl_limits *lim);
void rl_free(struct ratelimit *rl);
/** New limits (reload): the tables are kept, trimmed to the new size.
 *  Returns -1 (nothing changed) when out of memory. */
int rl_configure(struct ratelimit *rl, const struct rl_limits *lim);

/** May a datagram from @src be processed at @now_ms?  @peer: @src is a
 *  configured peer (a known source). */
enum rl_verdict rl_admit(struct ratelimit *rl, struct in_addr src, bool peer, uint64_t now_ms);
/** Whether the verdict was the first drop of this source since it last
 *  passed (so a caller logs one line per burst of drops, not per drop). */
bool rl_first_drop(const struct ratelimit *rl);

/** @a is a known source until @until_ms (extends, never shortens). */
void rl_trust(struct ratelimit *rl, struct in_addr a, uint64_t until_ms);
bool rl_trusted(struct ratelimit *rl, struct in_addr a, uint64_t now_ms);
/** Forget known sources whose time is over (call now and then). */
void rl_expire(struct ratelimit *rl, uint64_t now_ms);

struct rl_stats {
	size_t sources;         /* unknown sources tracked */
	size_t trusted;         /* known sources */
	uint64_t evicted;       /* sources forgotten to make room */
};
void rl_get_stats(const struct ratelimit *rl, struct rl_stats *st);

#endif
