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

/* A peer mobility agent (foreign agent for a home agent) and its SAs. */
struct conf_peer {
	struct in_addr addr;
	struct conf_sa *sas;
	size_t n_sas;
	int line;
};

/* An entry of the care-of access list: care-of addresses inside @net are
 * permitted or denied; the first matching entry decides. */
struct conf_access {
	struct conf_prefix net;
	bool permit;
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

struct conf {
	char *path;                        /* file it was read from */
	int log_level;                     /* LOG_LVL_*, default info */
	char *state_dir;
	char *control_socket;
	bool allow_reserved_spi;           /* legacy: accept SPIs 0-255 */
	bool state_fsync;                  /* fsync the state before replies (power-loss safe) */
	struct conf_home_agent ha;
	struct conf_peer *peers;
	size_t n_peers;
	struct conf_snmp snmp;
	struct conf_data_plane dp;
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

/** The configured node covering @hoa, or NULL (O(log n)). Needs conf_check(). */
const struct conf_node *conf_find_node(const struct conf_home_agent *ha, struct in_addr hoa);
/** The SA with @spi in @sas, or NULL. */
const struct conf_sa *conf_find_sa(const struct conf_sa *sas, size_t n, uint32_t spi);
/** The configured peer agent with address @addr, or NULL. */
const struct conf_peer *conf_find_peer(const struct conf *c, struct in_addr addr);
bool conf_prefix_contains(const struct conf_prefix *p, struct in_addr a);

#endif
