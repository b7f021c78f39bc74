/* mipreg's command line, shared by the single-request client (mipreg.c) and
 * the load generator (mipreg_load.c). */
#ifndef MIPREG_H
#define MIPREG_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "auth.h"

enum { EXIT_ACCEPTED = 0, EXIT_DENIED = 1, EXIT_NO_REPLY = 2, EXIT_BAD_REPLY = 3, EXIT_USAGE = 64 };

struct mipreg_sa {
	uint32_t spi;
	enum mip_auth_alg alg;
	uint8_t key[MIP_KEY_MAX];
	int keylen;
};

struct mipreg_opts {
	struct in_addr hoa, ha, coa, dest, bind;
	bool have_coa;
	uint16_t port;
	unsigned lifetime;
	uint8_t flags;
	struct mipreg_sa mn;       /* MN-HA */
	struct mipreg_sa fa;       /* FA-HA (simulating a foreign agent), spi 0: none */
	enum mip_replay replay;
	bool have_id;
	uint64_t id;
	uint32_t nonce;            /* high-order bits for the nonce method */
	const char *nai;
	uint8_t extra[256];        /* raw extensions inserted before MN-HA */
	int extra_len;
	int timeout_ms, retries;
	bool json, resync;
	/* load generator (--count and the options after it) */
	bool load;
	uint32_t count;            /* nodes, home addresses hoa, hoa + 1, ... */
	double rate;               /* requests per second; 0: as fast as possible */
	double duration;           /* seconds of sending; 0: until @requests */
	uint64_t requests;         /* requests to send; 0: until @duration */
	uint32_t window;           /* requests outstanding at most */
	bool same_expiry;          /* lifetimes count down so all bindings end together */
};

/** Run the load generator; returns the exit status. */
int mipreg_load(const struct mipreg_opts *o);

#endif
