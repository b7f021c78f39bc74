/* Internals shared by the foreign agent's files (fa*.c); see fa.h. */
#ifndef MIP_FA_INT_H
#define MIP_FA_INT_H

#include "buf.h"
#include "fa.h"
#include "wire.h"

#define FA_DENY_CACHE 64        /* recent denials, for the one-per-second limit */
#define FA_DENY_INTERVAL_MS 1000
#define FA_REPLY_TTL 64

/* What the link-layer capture saw of a datagram to port 434. */
struct fa_seen {
	uint8_t mac[6];
	uint8_t ttl;
};

/* Packet I/O, behind ops so that tests can capture it. */
struct fa_io_ops {
	/** Send a UDP datagram to a home agent; 0, or -errno. */
	int (*to_ha)(void *ctx, const struct mip_pkt_info *pi, const uint8_t *p, size_t len);
	/** Send the IPv4 datagram @ip on @ifindex to link-layer @mac (NULL: broadcast). */
	int (*to_mn)(void *ctx, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len);
	void *ctx;
};

RB_HEAD(fa_ptree, fa_pending);
RB_HEAD(fa_vtree, fa_visitor);

struct fa_iface {
	const struct conf_adv_if *conf;
	int ifindex;
	size_t n_visitors;              /* visitors that registered on this interface */
	bool was_busy;
};

struct fa_link;

struct mip_fa {
	const struct conf *c;
	const struct conf_foreign_agent *fc;
	struct ev_loop *loop;
	struct timer_heap *timers;
	struct adv *adv;                /* NULL in unit tests */
	int udp_fd;
	struct fa_iface *ifs;
	size_t n_ifs;
	struct fa_ptree pending;
	size_t n_pending;
	struct fa_vtree visitors;
	size_t n_visitors;
	struct fa_link *link;
	struct fa_io_ops io;
	struct outq *replies;           /* where io.to_mn holds replies (fa_hold_replies()), or NULL */
	struct mip_buf out;             /* registration message being built */
	struct mip_buf pkt;             /* IPv4 datagram to a mobile node */
	void (*ha_fn)(void *arg, const uint8_t *p, size_t len, const struct mip_pkt_info *pi);
	void *ha_arg;
	uint64_t (*mono_now)(void);
	struct {
		struct in_addr who;
		uint8_t code;
		uint64_t ms;
	} denied[FA_DENY_CACHE];
	unsigned denied_next;
	uint16_t ip_id;
};

/* fa.c */
/** For tests: replace the packet I/O. */
void fa_set_io(struct mip_fa *fa, const struct fa_io_ops *io);
const struct fa_iface *fa_iface(const struct mip_fa *fa, int ifindex);
/** Send registration message @p (a reply) to the mobile node of @pe's request. */
void fa_send_to_mn(struct mip_fa *fa, const struct fa_pending *pe, const uint8_t *p, size_t len);
const char *fa_ntoa(struct in_addr a, char *buf);
/** Count a denial code in its MIB counter. */
void fa_count_code(uint8_t code);
/** Is @ifc's visitor limit reached (B bit, code 66 for new visitors there)? */
bool fa_iface_busy(const struct fa_iface *ifc);
/** A visitor on @ifindex was added (@delta 1) or removed (-1): count it
 *  and tell agent discovery when the interface's busy state changes. */
void fa_iface_visitors(struct mip_fa *fa, int ifindex, int delta);
/** The busy state of any interface may have changed (reload): tell agent discovery. */
void fa_busy_check(struct mip_fa *fa);

/* fa_table.c */
void fa_tables_init(struct mip_fa *fa);
struct fa_pending *fa_pending_find(struct mip_fa *fa, const struct fa_pkey *k);
/** The pending request a reply answers: home address and Identification,
 *  then the NAI and the home agent to choose among several (§3.7.3.1). */
struct fa_pending *fa_pending_match(struct mip_fa *fa, struct in_addr hoa, uint32_t id_low,
				    struct in_addr ha, const uint8_t *nai, size_t nai_len);
/** The newest pending request of @hoa to @ha (for ICMP errors quoting little). */
struct fa_pending *fa_pending_latest(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha);
/** Pending requests of one node (home address, or NAI when it is 0.0.0.0). */
size_t fa_pending_of_node(struct mip_fa *fa, const struct fa_pkey *k);
struct fa_pending *fa_pending_new(struct mip_fa *fa, const struct fa_pkey *k);
/** End a pending entry: log the transition for @event and free it. */
void fa_pending_end(struct fa_pending *p, const char *event);
struct fa_visitor *fa_visitor_find(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha, int ifindex);

/* The outcome of an accepted reply for the visitor list. */
struct fa_vupdate {
	const struct fa_pending *p;
	struct in_addr hoa, ha;         /* from the reply (RFC 2794: the assigned home address) */
	uint16_t lifetime;              /* granted, after the foreign agent's cap */
};
/** Apply an accepted registration (install or renew) or deregistration. */
void fa_visitor_accept(struct mip_fa *fa, const struct fa_vupdate *u);
void fa_visitor_dereg(struct mip_fa *fa, struct in_addr hoa, struct in_addr ha, int ifindex);
void fa_tables_free(struct mip_fa *fa);

/* fa_link.c: the packet socket on the foreign agent interfaces */
struct fa_link *fa_link_open(struct mip_fa *fa);
void fa_link_close(struct fa_link *l);
/** What was seen of the datagram from @src:@sport on @ifindex (reads what is queued first). */
bool fa_link_lookup(struct fa_link *l, int ifindex, struct in_addr src, uint16_t sport,
		    struct fa_seen *out);
int fa_link_send(struct fa_link *l, int ifindex, const uint8_t *mac, const uint8_t *ip, size_t len);

/* fa_req.c */
/** Deny the request @pe describes with @code (FA-generated reply, §3.7.2.3). */
void fa_deny(struct mip_fa *fa, const struct fa_pending *pe, uint8_t code, uint16_t lifetime);

/* fa_reply.c */
void fa_pending_timeout(struct mip_timer *t);

#endif
