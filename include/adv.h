/* Agent discovery (RFC 5944 §2, RFC 1256): Agent Advertisements on every
 * advertising interface at randomised intervals between min-interval and
 * max-interval (the first few faster), answers to Agent Solicitations
 * (224.0.0.11, 224.0.0.2 and broadcast; rate limited), sequence numbers per
 * §2.3.2, the F/H/R/B/T/M/G flags and the care-of addresses offered while
 * their interface is up.  One raw ICMP socket per interface. */
#ifndef MIP_ADV_ENGINE_H
#define MIP_ADV_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include "adv_wire.h"
#include "conf.h"

struct ev_loop;
struct adv;
struct ifaddr_cache;

#define ADV_MAX_INITIAL 3                   /* MAX_INITIAL_ADVERTISEMENTS (RFC 1256) */
#define ADV_MAX_INITIAL_INTERVAL_MS 16000   /* MAX_INITIAL_ADVERT_INTERVAL */
#define ADV_RESPONSE_DELAY_MS 500           /* at most MAX_RESPONSE_DELAY (2 s) */
#define ADV_MIN_GAP_MS 1000                 /* between two multicast advertisements (§2.3) */

/* One advertising interface as seen from outside (ctl, SNMP: one
 * maAdvConfigTable row, indexed by its address). */
struct adv_row {
	char ifname[IF_NAMESIZE];
	int ifindex;
	struct in_addr address;             /* maInterfaceAddress: primary address, 0 if none */
	uint8_t plen;
	bool up;
	const struct conf_adv_if *conf;
	bool home, foreign;                 /* H and F roles on this link */
	uint16_t next_seq;                  /* sequence number of the next advertisement */
	uint16_t last_flags;                /* flags of the last one sent */
	uint32_t sent, sent_solicited, solicitations;
	uint64_t next_ms;                   /* monotonic time of the next unsolicited one, 0: none */
	unsigned n_coas;                    /* care-of addresses offered now */
	struct in_addr coas[MIP_ADV_MAX_COAS];
};

/** Start advertising as @c says (interfaces under <foreign-agent> and the
 *  <home-agent>'s <interface>).  NULL on failure (logged); with nothing to
 *  advertise it still returns an (empty) object. */
struct adv *adv_open(const struct conf *c, struct ev_loop *loop);
void adv_close(struct adv *a);
/** The foreign agent's busy test (interface @ifindex at its visitor limit): sets the B bit. */
void adv_set_busy_cb(struct adv *a, bool (*busy)(void *arg, int ifindex), void *arg);
/** The busy state of @ifindex changed: advertise soon there. */
void adv_busy_changed(struct adv *a, int ifindex);
/** The shared view of local addresses (refreshed when older than a second). */
struct ifaddr_cache *adv_ifaddrs(struct adv *a);
/** Is @coa offered on foreign agent interface @ifindex now (configured there
 *  and its own interface up)? */
bool adv_coa_offered(struct adv *a, int ifindex, struct in_addr coa);

/** Reload hooks (reload.h, @arg the struct adv): the advertising interfaces
 *  and their roles must stay; their settings apply from the next advertisement. */
int adv_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg);
void adv_reload_apply(const struct conf *old, const struct conf *new, void *arg);

/** Rows by index (0 .. adv_count-1, in configuration order); false past the end. */
size_t adv_count(const struct adv *a);
bool adv_row_get(struct adv *a, size_t i, struct adv_row *out);
/** The row whose address is @addr, or the first after it (MIB order); false if none. */
bool adv_row_find(struct adv *a, struct in_addr addr, bool next, struct adv_row *out);

#endif
