/* The configuration as a plain C struct.  conf_parse.c fills it from the XML
 * file (libxml2), conf_check.c validates it and fills defaults, and only then
 * is it applied.  Names follow the RFC 5944 / RFC 2006 MIB terms. */
#ifndef MIP_CONF_H
#define MIP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include "auth.h"

#define MIP_CONF_DEFAULT_PATH "/etc/mipagent/mipagent.xml"
#define MIP_CONF_DEFAULT_STATE_DIR "/var/lib/mipagent"
#define MIP_CONF_DEFAULT_SOCKET "/run/mipagent/mipagent.sock"
#define MIP_LIFETIME_INFINITE 0xffff
#define MIP_CONF_DEFAULT_AGENTX "/var/agentx/master"   /* Net-SNMP's default */
#define MIP_CONF_DEFAULT_PING_INTERVAL 5
#define MIP_CONF_DEFAULT_TUNNEL_MTU 1480
#define MIP_CONF_DEFAULT_GARP_COUNT 3
#define MIP_CONF_DEFAULT_FA_LIFETIME 1800
#define MIP_CONF_DEFAULT_PENDING_TIMEOUT 7    /* RFC 5944 §3.7.1 */
#define MIP_CONF_DEFAULT_MAX_PENDING 5        /* RFC 5944 §3.7.1: "typically 5" */
#define MIP_CONF_DEFAULT_MAX_ADV_INTERVAL 10

struct conf_prefix {
	struct in_addr addr;   /* network address (host bits zero after checking) */
	uint8_t len;           /* prefix length 0..32 */
	int line;              /* of the element that set it (0: unknown) */
};

/* A mobility security association (the mipSecAssocTable row). */
struct conf_sa {
	uint32_t spi;
	enum mip_auth_alg alg;             /* default hmac-md5 */
	uint8_t key[MIP_KEY_MAX];
	size_t keylen;
	enum mip_replay replay;            /* default timestamps */
	unsigned tolerance;                /* timestamp tolerance in seconds, default 7 */
	int line;
};

/* One mobile node, or a range of them sharing the same settings and SAs
 * (each node of a range has its own replay state and bindings). */
struct conf_node {
	struct in_addr first, last;        /* single node: first == last */
	struct conf_sa *sas;               /* at least one */
	size_t n_sas;
	char *nai;                         /* optional NAI (RFC 2794), single nodes only */
	unsigned max_lifetime;             /* 0: the home agent's */
	unsigned max_bindings;             /* simultaneous bindings; 0: the home agent's */
	bool roam;                         /* may register away from home (default true) */
	int line;
};

/* <ipsec> of a peer: an IPsec policy (XFRM, with a template) for each kind
 * of traffic exchanged with it (xfrm.h).  The SAs come from an IKE daemon or
 * are made by hand; the template says which ones qualify. */
enum conf_ipsec_traffic {
	CONF_IPSEC_REQUEST,                /* <registration-request> */
	CONF_IPSEC_REPLY,                  /* <registration-reply> */
	CONF_IPSEC_FORWARD,                /* <forward-tunnel>: home agent to foreign agent */
	CONF_IPSEC_REVERSE,                /* <reverse-tunnel>: foreign agent to home agent */
	CONF_IPSEC_N
};

struct conf_ipsec_policy {
	bool present;
	bool tunnel;                       /* mode: tunnel, or transport (default) */
	bool ah;                           /* protocol: ah, or esp (default) */
	bool optional;                     /* level: use, or required (default) */
	uint32_t reqid;                    /* SAs of this request id only (0: any) */
	uint32_t spi;                      /* the SA with this SPI only (0: any) */
	uint32_t ealgos, aalgos;           /* algorithms allowed, SADB bit masks (0: any) */
	int line;
};

struct conf_ipsec {
	bool present;
	struct in_addr local;              /* our end: local-address (default: the home agent's) */
	struct conf_ipsec_policy policy[CONF_IPSEC_N];
	int line;
};

/* A peer mobility agent (foreign agent for a home agent) and its SAs. */
struct conf_peer {
	struct in_addr addr;
	struct conf_sa *sas;
	size_t n_sas;
	struct conf_ipsec ipsec;           /* <ipsec>, if present */
	int line;
};

/* An entry of the care-of access list: care-of addresses inside @net are
 * permitted or denied; the first matching entry decides. */
struct conf_access {
	struct conf_prefix net;
	bool permit;
	int line;
};

/* A care-of address a foreign agent offers (faCOATable row). */
struct conf_coa {
	struct in_addr addr;
	int line;
};

/* An advertising interface: one maAdvConfigTable row (RFC 2006) of either
 * role, RFC 1256's per-interface settings; on a foreign agent's interface
 * also the care-of addresses offered there (faCOATable, in order). */
struct conf_adv_if {
	char name[IF_NAMESIZE];
	bool advertise;                    /* unsolicited advertisements (default true) */
	struct in_addr adv_address;        /* maAdvAddress: 224.0.0.1 (default) or 255.255.255.255 */
	unsigned min_interval;             /* maAdvMinInterval, s (default 3/4 of max, at least 3) */
	unsigned max_interval;             /* maAdvMaxInterval, s (default 10) */
	unsigned adv_lifetime;             /* maAdvMaxAdvLifetime, s (default 3 * max-interval) */
	unsigned max_lifetime;             /* maAdvMaxRegLifetime (default: the role's) */
	bool prefix_length_inclusion;      /* maAdvPrefixLengthInclusion (default false) */
	bool solicitation_only;            /* maAdvResponseSolicitationOnly (default false) */
	/* foreign agent: visitors accepted on this interface (0: no limit); B
	 * bit in its advertisements and code 66 at the limit.  Unless
	 * @visitor_limit_set, conf_check() copies <foreign-agent visitor-limit>. */
	unsigned visitor_limit;
	bool visitor_limit_set;
	struct conf_coa *coas;             /* foreign agent: care-of addresses offered */
	size_t n_coas;
	int line;
};

/* A mobile node visiting a foreign agent with which it shares security
 * associations (Mobile-Foreign authentication, RFC 5944 §3.5.3). */
struct conf_visitor {
	struct in_addr addr;               /* home address */
	char *nai;                         /* optional NAI (RFC 2794), for home address 0.0.0.0 */
	struct conf_sa *sas;
	size_t n_sas;
	int line;
};

/* <foreign-agent> (RFC 5944 §3.7; faSystem, faAdvertisement of RFC 2006). */
struct conf_foreign_agent {
	bool enabled;
	bool registration_required;        /* R bit, faRegistrationRequired (default false) */
	unsigned visitor_limit;            /* default of each interface's visitor limit (0: none) */
	unsigned max_lifetime;             /* default of each interface's lifetime cap (1800); 69 above */
	unsigned pending_timeout;          /* seconds a request waits for its reply (default 7) */
	unsigned max_pending;              /* pending requests per node (default 5); 66 above */
	bool reverse_tunnel;               /* T bit honoured and advertised (default true) */
	bool reverse_tunnel_required;      /* deny without T: 75 (default false) */
	bool encaps_minimal;               /* M (default true) */
	bool encaps_gre;                   /* G (default true) */
	unsigned icmp_code;                /* advertisement ICMP code: 16 (default) or 0 */
	bool ha_access_default_permit;     /* home agents relayed to when no entry matches */
	struct conf_access *ha_access;     /* <home-agent-access>: 65 when denied */
	size_t n_ha_access;
	struct conf_adv_if *ifaces;
	size_t n_ifaces;
	struct conf_visitor *visitors;
	size_t n_visitors;
	int line;
};

struct conf_home_agent {
	bool enabled;
	struct in_addr address;            /* the home agent's unicast address */
	char interface[IF_NAMESIZE];       /* home link interface */
	struct conf_prefix home_network;   /* the home link's prefix */
	struct conf_prefix *virtual_networks;  /* virtual home networks (no link) */
	size_t n_virtual_networks;
	unsigned max_lifetime;             /* default 1800 s */
	unsigned max_bindings;             /* simultaneous bindings per node, default 1 (S not honoured) */
	unsigned max_total_bindings;       /* 0: no limit; reply 130 when reached */
	bool reverse_tunnel;               /* T bit honoured (default true) */
	bool reverse_tunnel_required;      /* deny without T: 138 (default false) */
	bool encaps_minimal;               /* M bit honoured (default true) */
	bool encaps_gre;                   /* G bit honoured (default true) */
	bool broadcast;                    /* B bit honoured (default false: ignored, §3.8.2) */
	bool collocated;                   /* D bit honoured (default true) */
	bool access_default_permit;        /* care-of access when no entry matches (default true) */
	struct conf_access *access;
	size_t n_access;
	struct conf_node *nodes;
	size_t n_nodes;
	struct conf_adv_if *adv;           /* <interface>: advertisements on the home link (H) */
	int line;
};

/* <snmp>: the AgentX subagent serving the MIP-MIB (RFC 2006). */
struct conf_snmp {
	bool enabled;                      /* the element is present */
	char *agentx_socket;               /* master's socket: /path, unix:/path or tcp:HOST:PORT */
	unsigned ping_interval;            /* seconds between pings / reconnect attempts, default 5 */
	int line;
};

/* <data-plane>: how registered traffic is tunnelled and intercepted (dp.h). */
enum conf_dp_backend {
	CONF_DP_AUTO = 0,                  /* kernel tunnels if the kernel can, else userspace */
	CONF_DP_KERNEL,                    /* ipip/gre links; refuse to start without them */
	CONF_DP_USERSPACE,                 /* the TUN-based engine (utun.h) */
};

struct conf_data_plane {
	bool present;                      /* the element is present */
	enum conf_dp_backend backend;      /* default auto */
	unsigned tunnel_mtu;               /* tunnel devices' MTU, default 1480 */
	unsigned gratuitous_arp_count;     /* copies of each gratuitous ARP, default 3; 0: none */
	int line;
};

/* <limits>: admission control of the datagrams to port 434 (ratelimit.h),
 * the log lines strangers can provoke (log_flood() in log.h) and the foreign
 * agent's pending requests.  Rates are per second; 0 means no limit. */
#define MIP_CONF_DEFAULT_SOURCE_RATE 10
#define MIP_CONF_DEFAULT_SOURCE_BURST 20
#define MIP_CONF_DEFAULT_RATE 1000
#define MIP_CONF_DEFAULT_BURST 2000
#define MIP_CONF_DEFAULT_TRUSTED_RATE 10000
#define MIP_CONF_DEFAULT_TRUSTED_BURST 20000
#define MIP_CONF_DEFAULT_MAX_SOURCES 4096
#define MIP_CONF_DEFAULT_LOG_RATE 10
#define MIP_CONF_DEFAULT_LOG_BURST 50
#define MIP_CONF_DEFAULT_MAX_PENDING_TOTAL 4096
#define MIP_CONF_DEFAULT_SOCKET_BUFFER (4u << 20)

struct conf_limits {
	bool present;                      /* the element is present */
	unsigned source_rate, source_burst;    /* one source without a binding */
	unsigned rate, burst;              /* all sources without a binding together */
	unsigned trusted_rate, trusted_burst;  /* peers and sources of bindings together */
	unsigned max_sources;              /* sources tracked (least recently seen evicted) */
	unsigned log_rate, log_burst;      /* security-violation and denial log lines */
	unsigned max_pending;              /* foreign agent: pending requests in all (66 above) */
	unsigned socket_buffer;            /* UDP socket's receive and send buffers, bytes (0: system's) */
	int line;
};

struct conf {
	char *path;                        /* file it was read from */
	int log_level;                     /* LOG_LVL_*, default info */
	char *state_dir;
	char *control_socket;
	bool allow_reserved_spi;           /* legacy: accept SPIs 0-255 */
	bool state_fsync;                  /* fsync the state before replies (power-loss safe) */
	bool mip_enable;                   /* mipEnable: registrations and advertisements (default true) */
	struct conf_home_agent ha;
	struct conf_foreign_agent fa;
	struct conf_peer *peers;
	size_t n_peers;
	struct conf_snmp snmp;
	struct conf_data_plane dp;
	char *user;                        /* <general user>: run as this user after start-up */
	struct conf_limits limits;
};

/** Read and parse @path; on error print "FILE:LINE: message" lines to @err
 *  and return NULL.  The result still needs conf_check(). */
struct conf *conf_parse_file(const char *path, FILE *err);
/** Same, from memory (@name is used in messages). */
struct conf *conf_parse_memory(const char *name, const char *xml, size_t len, FILE *err);
/** Validate and fill defaults; print every problem as "FILE:LINE: message" to
 *  @err.  Returns the number of problems (0: usable). */
int conf_check(struct conf *c, FILE *err);
/** Print the normalised configuration (defaults filled, keys never shown). */
void conf_print(const struct conf *c, FILE *out);
void conf_free(struct conf *c);

/** The default <limits> (also what conf_check() fills in when it is absent). */
void conf_limits_defaults(struct conf_limits *l);
/** The algorithms="" names of @p's masks, space-separated, in @buf ("" for any). */
const char *conf_ipsec_algs_str(const struct conf_ipsec_policy *p, char *buf, size_t len);

/** The configured node covering @hoa, or NULL (O(log n)). Needs conf_check(). */
const struct conf_node *conf_find_node(const struct conf_home_agent *ha, struct in_addr hoa);
/** The SA with @spi in @sas, or NULL. */
const struct conf_sa *conf_find_sa(const struct conf_sa *sas, size_t n, uint32_t spi);
/** The configured peer agent with address @addr, or NULL. */
const struct conf_peer *conf_find_peer(const struct conf *c, struct in_addr addr);
bool conf_prefix_contains(const struct conf_prefix *p, struct in_addr a);
/** The foreign agent's interface named @name, or NULL. */
const struct conf_adv_if *conf_find_fa_if(const struct conf_foreign_agent *fa, const char *name);
/** The visitor SA entry for @hoa (or, for 0.0.0.0, @nai of @nai_len bytes), or NULL. */
const struct conf_visitor *conf_find_visitor(const struct conf_foreign_agent *fa, struct in_addr hoa,
					     const uint8_t *nai, size_t nai_len);

#endif
