/* The userspace tunnel engine: a TUN device plus raw IPv4 sockets (protocols
 * 4, 55 and 47) doing IP-in-IP (RFC 2003), minimal encapsulation (RFC 2004)
 * and GRE (RFC 2784) in the daemon, for kernels without tunnel modules.
 *
 * Outbound: packets the kernel routes into the TUN device are looked up by
 * inner destination (forward tunnels: home agent -> care-of address), then by
 * inner source (reverse tunnels: foreign agent -> home agent), and sent
 * encapsulated to every tunnel end found (several for simultaneous bindings).
 * Inbound: encapsulated packets from a known peer to a local tunnel end are
 * checked, decapsulated and written into the TUN device, so the kernel
 * forwards them on.
 *
 * MTU (RFC 2003 5.1): the kernel refuses to fragment IP_HDRINCL packets, so
 * the engine keeps a path MTU per tunnel end (the route's MTU, lowered by
 * ICMP Datagram Too Big from inside the tunnel for 10 minutes).  A DF
 * datagram that does not fit gets ICMP "fragmentation needed" with that MTU
 * minus the encapsulation; a DF-clear one is fragmented (the inner datagram
 * for IP-in-IP and GRE, the outer one for minimal encapsulation).
 * ICMP errors from inside a tunnel are relayed to the original sender as
 * RFC 2003 section 4 says.  Our ICMP goes out through a raw ICMP socket, so
 * the kernel picks its source address (as for its own ICMP errors).
 *
 * I/O: recvmmsg/sendmmsg on the raw sockets; the TUN device through io_uring
 * (multishot read into provided buffers, batched writes; Linux 6.7) when
 * available, else read()/write() loops.  The environment variable
 * MIPAGENT_UTUN_NO_IO_URING (set, not empty or "0") forces the latter. */
#ifndef MIP_UTUN_H
#define MIP_UTUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

struct ev_loop;
struct utun;

enum dp_encap {
	DP_ENCAP_IPIP = 0,
	DP_ENCAP_MINIMAL,
	DP_ENCAP_GRE,
};

struct utun_stats {
	uint64_t encap_pkts, encap_bytes, decap_pkts, decap_bytes;  /* inner datagrams */
	uint64_t no_route, bad_inner, too_big, icmp_relayed, send_errors;
	uint64_t loop_drops;      /* inner source is the tunnel exit point (RFC 2003 3.2) */
	uint64_t decap_bad;       /* malformed encapsulated packets (see encap_decap()) */
	uint64_t decap_filtered;  /* well-formed but no matching decap filter */
	uint64_t fragmented;      /* DF-clear datagrams fragmented to fit the tunnel */
	uint64_t icmp_sent;       /* our own ICMP Datagram Too Big to senders */
	uint64_t rev_decap;       /* decapsulated into a reverse tunnel (utun_decap_add_reverse) */
};

/** Create the TUN device (name pattern like "mip%d"), set it up, and the raw
 *  sockets, and watch them in @loop.  @mtu is the TUN device's MTU; 0: the
 *  largest link MTU minus the largest encapsulation overhead (GRE, 24).
 *  NULL on failure (logged). */
struct utun *utun_open(const char *name_pattern, struct ev_loop *loop, int mtu);
void utun_close(struct utun *u);
const char *utun_ifname(const struct utun *u);
int utun_ifindex(const struct utun *u);
/** The TUN device's MTU. */
int utun_mtu(const struct utun *u);
/** Outer TTL for IP-in-IP and GRE (default 64, RFC 2003 3.1). */
int utun_set_ttl(struct utun *u, int ttl);

/** Forward tunnel: inner packets to @inner_dst go encapsulated from @local to
 *  @remote.  Adding a second @remote for the same @inner_dst duplicates the
 *  traffic (simultaneous bindings). */
int utun_fwd_add(struct utun *u, struct in_addr inner_dst, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap);
int utun_fwd_del(struct utun *u, struct in_addr inner_dst, struct in_addr remote);
/** Encapsulate @p (@len bytes, a whole IPv4 datagram whatever its
 *  destination) into the forward tunnel of @inner_dst to @remote and send it
 *  at once: 0, or -1 when there is no such tunnel or @p is not valid. */
int utun_fwd_send(struct utun *u, struct in_addr inner_dst, struct in_addr remote,
		  uint8_t *p, size_t len);
/* Tunnels the owner keeps in its own tables (the home agent's bindings of a
 * virtual home network routed into the device): asked when a packet has no
 * forward entry or no decapsulation filter, so that a million nodes need no
 * entry here.  The remotes must be held (utun_peer_hold()). */
struct utun_hop {
	struct in_addr local, remote;
	enum dp_encap encap;
};
struct utun_resolver {
	/** The tunnels of @inner_dst, at most @max in @hops: how many. */
	unsigned (*hops)(void *arg, struct in_addr inner_dst, struct utun_hop *hops, unsigned max);
	/** Whether packets tunnelled from @remote to @local with inner source
	 *  @inner_src are accepted (written into the device). */
	bool (*accepts)(void *arg, struct in_addr remote, struct in_addr local, struct in_addr inner_src);
	void *arg;
};
void utun_set_resolver(struct utun *u, const struct utun_resolver *r);
/** Reference counted path-MTU state of a remote tunnel end the resolver names. */
int utun_peer_hold(struct utun *u, struct in_addr remote);
void utun_peer_release(struct utun *u, struct in_addr remote);

/** Reverse tunnel: inner packets from @inner_src go encapsulated from @local to @remote. */
int utun_rev_add(struct utun *u, struct in_addr inner_src, struct in_addr local,
		 struct in_addr remote, enum dp_encap encap);
int utun_rev_del(struct utun *u, struct in_addr inner_src);
/** Accept encapsulated packets from @remote to @local whose inner source
 *  (@inner_src, INADDR_ANY: any) or inner destination (@inner_dst, INADDR_ANY:
 *  any) match; reference counted per (remote, local, inner_src, inner_dst). */
int utun_decap_add(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst);
int utun_decap_del(struct utun *u, struct in_addr remote, struct in_addr local,
		   struct in_addr inner_src, struct in_addr inner_dst);
/** The same, but what the filter accepts is not written into the TUN device:
 *  it goes straight into the reverse tunnel of its inner source (RFC 3024
 *  §5.2, the Encapsulating Delivery Style: decapsulate, re-encapsulate to the
 *  home agent), its TTL decremented as a forwarded datagram's, and is dropped
 *  without such a tunnel.  Reference counted with the plain filters; remove
 *  with utun_decap_del_reverse(). */
int utun_decap_add_reverse(struct utun *u, struct in_addr remote, struct in_addr local,
			   struct in_addr inner_src, struct in_addr inner_dst);
int utun_decap_del_reverse(struct utun *u, struct in_addr remote, struct in_addr local,
			   struct in_addr inner_src, struct in_addr inner_dst);

/* Visited links (RFC 3024 private addresses): visitors with the same home
 * address on different links of a foreign agent, from different home
 * agents.  The main device cannot tell them apart, so each such link gets
 * a TUN device of its own ("<main name>l<n>"): what the kernel routes into
 * it goes into the reverse tunnel of its source *on that link*, and what a
 * link filter decapsulates is written into it for the kernel to forward on
 * that link (policy routing by incoming device). */

/** The device of visited link @link (interface index), created on first use,
 *  reference counted; its index, and its name in @ifname; -1 on failure. */
int utun_link_get(struct utun *u, int link, char ifname[IF_NAMESIZE]);
void utun_link_put(struct utun *u, int link);
/** Reverse tunnel of @inner_src on @link (read from @link's device). */
int utun_rev_add_link(struct utun *u, int link, struct in_addr inner_src, struct in_addr local,
		      struct in_addr remote, enum dp_encap encap);
int utun_rev_del_link(struct utun *u, int link, struct in_addr inner_src);
/** utun_decap_add() (@reverse: utun_decap_add_reverse()) for a visitor on
 *  @link: what it accepts goes into @link's device (or, @reverse, into the
 *  reverse tunnel of its source on @link).  Remove with utun_decap_del()
 *  (utun_decap_del_reverse()). */
int utun_decap_add_link(struct utun *u, int link, struct in_addr remote, struct in_addr local,
			struct in_addr inner_src, struct in_addr inner_dst, bool reverse);
void utun_get_stats(const struct utun *u, struct utun_stats *st);

#endif
