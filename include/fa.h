/* The foreign agent (RFC 5944 §3.7, RFC 3024 §4.2, RFC 2794 §3): relays
 * Registration Requests from mobile nodes on its interfaces to their home
 * agents and the replies back, after the validity checks in the RFC's order;
 * keeps the pending registrations and the visitor list, and announces
 * visitors to the data plane (MIP_EV_VISITOR_ADDED / _REMOVED; a renewal
 * that changes nothing the data plane uses is MIP_EV_VISITOR_RENEWED, for
 * the durable state).
 *
 * Pending entry states:  RELAYED --reply/timeout/icmp/clear--> (freed)
 * Visitor entry states:  NONE --accepted--> ACTIVE --accepted--> ACTIVE
 *                        NONE --restored--> ACTIVE (from the state store)
 *                        ACTIVE --deregistered/expired/cleared--> GONE (freed)
 * (the transition tables are in fa_table.c; every transition is logged with
 * the state names). */
#ifndef MIP_FA_H
#define MIP_FA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include "conf.h"
#include "net.h"
#include "rbtree.h"
#include "timer.h"

struct ev_loop;
struct adv;
struct mip_fa;
struct outq;

#define FA_NAI_MAX 255

enum fa_pstate { FA_P_RELAYED, FA_P_GONE };
enum fa_vstate { FA_V_NONE, FA_V_ACTIVE, FA_V_GONE };

/* A request relayed to a home agent and waiting for its reply.  Key
 * (MIB-like order): home address (0.0.0.0 with an NAI), low 32 bits of the
 * Identification, home agent, NAI. */
struct fa_pkey {
	struct in_addr hoa;
	uint32_t id_low;
	struct in_addr ha;
	uint8_t nai_len;
	uint8_t nai[FA_NAI_MAX];
};

struct fa_pending {
	RB_ENTRY(fa_pending) rb;
	struct mip_fa *fa;
	enum fa_pstate state;
	struct fa_pkey key;
	struct in_addr coa;
	uint64_t id;
	uint8_t flags;
	uint16_t lifetime;              /* requested */
	struct in_addr src;             /* the mobile node's IP source */
	uint16_t sport;
	int ifindex;                    /* where it came in */
	struct in_addr local;           /* our address there (source of our replies) */
	uint8_t mac[6];
	bool have_mac;
	bool edeliv;                    /* Encapsulating Delivery Style asked for (RFC 3024 §3.3) */
	const struct conf_sa *peer_sa;  /* FA-HA SA with the home agent, or NULL */
	const struct conf_visitor *mn;  /* MN-FA SAs with the node, or NULL */
	const struct conf_sa *mn_sa;    /* the one that authenticated the request */
	struct mip_timer timer;
	uint64_t created_ms;
};

/* An accepted registration (faVisitorTable row).  Key: home address, home
 * agent, interface, so private home addresses behind different home agents
 * stay apart. */
struct fa_visitor {
	RB_ENTRY(fa_visitor) rb;
	struct mip_fa *fa;
	enum fa_vstate state;
	struct in_addr hoa, ha;
	int ifindex;
	struct in_addr coa, src;        /* care-of address; faVisitorIPAddress */
	uint16_t sport;
	uint8_t mac[6];
	bool have_mac;
	uint8_t flags;                  /* the request's (faVisitorRegFlags) */
	bool edeliv;                    /* Encapsulating Delivery Style (RFC 3024 §5.2) */
	struct in_addr local;           /* our address on its link (its packets' outer destination) */
	uint64_t id;
	uint16_t requested;             /* lifetime asked for */
	uint16_t lifetime;              /* granted (faVisitorTimeGranted) */
	uint64_t granted_ms;
	struct mip_timer expiry;
};

/** Start the foreign agent of @c: @udp_fd is the daemon's port-434 socket
 *  (IP_RECVERR is switched on for ICMP errors about relayed requests), @adv
 *  the agent discovery (busy bit, care-of addresses offered).  NULL on failure. */
struct mip_fa *fa_open(const struct conf *c, struct ev_loop *loop, int udp_fd, struct adv *adv);
/** Remove every visitor (announced) and pending entry and close. */
void fa_close(struct mip_fa *fa);
/** Requests naming one of our addresses as home agent go here (the home agent). */
void fa_set_home_agent(struct mip_fa *fa,
		       void (*fn)(void *arg, const uint8_t *p, size_t len, const struct mip_pkt_info *pi),
		       void *arg);

/** Does @ifindex belong to one of the foreign agent's interfaces? */
bool fa_is_fa_interface(const struct mip_fa *fa, int ifindex);
/** A Registration Request that arrived on a foreign agent interface. */
void fa_handle_request(struct mip_fa *fa, const uint8_t *p, size_t len, const struct mip_pkt_info *pi);
/** A Registration Reply (from a home agent). */
void fa_handle_reply(struct mip_fa *fa, const uint8_t *p, size_t len, const struct mip_pkt_info *pi);
/** Read the ICMP errors queued on the port-434 socket (IP_RECVERR). */
void fa_handle_errors(struct mip_fa *fa);

/** Hold the replies to mobile nodes in @q until the end of the loop turn,
 *  when the state that accepts them has been committed (outq.h). */
void fa_hold_replies(struct mip_fa *fa, struct outq *q);

/* A visitor as the state store keeps it (the interface by name: its index
 * may differ after a restart). */
struct fa_saved {
	struct in_addr hoa, ha, coa, src, local;
	const char *ifname;
	uint16_t sport;
	uint8_t mac[6];
	bool have_mac;
	uint8_t flags;
	bool edeliv;
	uint64_t id;
	uint16_t requested, lifetime;
	uint64_t remaining_ms;          /* unused when the lifetime is infinite */
};
/** Re-create a stored visitor (announced, so the data plane follows);
 *  -1 (logged) when its interface is no longer one of ours or it exists. */
int fa_visitor_restore(struct mip_fa *fa, const struct fa_saved *s);
/** The configured name of @v's interface. */
const char *fa_visitor_ifname(const struct fa_visitor *v);

/** Visitors in key order: the first, and the first after a key (GETNEXT). */
const struct fa_visitor *fa_visitor_first(const struct mip_fa *fa);
const struct fa_visitor *fa_visitor_next(const struct mip_fa *fa, struct in_addr hoa,
					 struct in_addr ha, int ifindex);
size_t fa_visitor_count(const struct mip_fa *fa);
/** Seconds left of @v at monotonic @now_ms (0xffff infinite). */
uint32_t fa_visitor_remaining(const struct fa_visitor *v, uint64_t now_ms);
struct mip_event;
/** For a listener of visitor events, during the call: the visitor @ev
 *  announces, or NULL when @ev is not a visitor event being announced now
 *  (the Encapsulating Delivery Style and our address on the link are not in
 *  the event). */
const struct fa_visitor *fa_visitor_of_event(const struct mip_event *ev);
/** Pending requests in key order. */
const struct fa_pending *fa_pending_first(const struct mip_fa *fa);
const struct fa_pending *fa_pending_next(const struct mip_fa *fa, const struct fa_pkey *after);
size_t fa_pending_count(const struct mip_fa *fa);
/** Remove the visitors with home address @hoa (INADDR_ANY: all); how many. */
size_t fa_clear_visitors(struct mip_fa *fa, struct in_addr hoa);
/** Is every interface at its visitor limit (faIsBusy: all advertise B)? */
bool fa_is_busy(const struct mip_fa *fa);

/** Reload hooks (reload.h, @arg the struct mip_fa): enabling or disabling
 *  the role or changing its interfaces needs a restart; everything else
 *  applies at once (pending requests keep their SAs by SPI). */
int fa_reload_check(const struct conf *old, const struct conf *new, FILE *err, void *arg);
void fa_reload_apply(const struct conf *old, const struct conf *new, void *arg);

#endif
