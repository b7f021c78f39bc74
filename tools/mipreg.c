/* mipreg: send Mobile IPv4 Registration Requests like a mobile node, check
 * and print the replies (RFC 5944 §3.6). */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "auth.h"
#include "ha.h"
#include "mipreg.h"
#include "timer.h"
#include "wire.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mipreg -H HOME-ADDR -a HOME-AGENT [-c CARE-OF] -s SPI -k KEY [options]\n"
		"  -H, --home-address A   mobile node's home address\n"
		"  -a, --home-agent A     home agent address\n"
		"  -c, --care-of A        care-of address (default: the home address)\n"
		"  -l, --lifetime N       requested lifetime in seconds (0: deregister; default 1800)\n"
		"  -F, --flags LETTERS    any of S B D M G T (and r x for testing)\n"
		"  -s, --spi N            SPI of the mobile-home security association\n"
		"  -k, --key HEX          its key\n"
		"  -A, --algorithm ALG    hmac-md5 (default), keyed-md5, rfc2002-md5\n"
		"  -r, --replay METHOD    timestamps (default) or nonces\n"
		"  -i, --id HEX           identification to send (default: from the replay method)\n"
		"  -n, --nonce HEX        home agent nonce for the nonce method (default 0)\n"
		"  -N, --nai NAI          add a Mobile Node NAI extension\n"
		"  -d, --dest A           send to this address (a foreign agent; default the home agent)\n"
		"  -p, --port N           destination port (default 434)\n"
		"  -b, --bind A           source address\n"
		"      --fa-spi N --fa-key HEX --fa-algorithm ALG   add a Foreign-Home extension\n"
		"      --extra HEX        raw extension bytes placed before the Mobile-Home extension\n"
		"  -t, --timeout MS       wait per try (default 1000);  -R, --retries N (default 2)\n"
		"      --no-resync        do not retry after an identification mismatch (133)\n"
		"  -j, --json             print the reply as JSON\n"
		"load generator: many mobile nodes at once, a report at the end\n"
		"      --count N          simulate N nodes, home addresses from -H upward (care-of\n"
		"                         address: -c, else each node's home address)\n"
		"      --rate R           requests per second (default: as fast as the window allows)\n"
		"      --duration S       send for S seconds;  --requests M: send M requests\n"
		"                         (default: one per node)\n"
		"      --window W         requests outstanding at most (default 256)\n"
		"      --same-expiry      lifetime -l minus the whole seconds since the start, so\n"
		"                         that every binding of the run ends in the same second\n"
		"                         a request unanswered within -t counts as lost\n"
		"exit status: 0 accepted, 1 denied, 2 no reply, 3 bad reply, 64 usage error\n");
}

static int parse_addr(const char *s, struct in_addr *a, const char *what)
{
	if (inet_pton(AF_INET, s, a) != 1) {
		fprintf(stderr, "mipreg: invalid %s address '%s'\n", what, s);
		return -1;
	}
	return 0;
}

static int parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || !*s || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_flags(const char *s, uint8_t *out)
{
	static const char letters[] = "SBDMGrTx";

	*out = 0;
	for (; *s; s++) {
		const char *p = strchr(letters, *s);

		if (!p)
			return -1;
		*out |= (uint8_t)(0x80 >> (p - letters));
	}
	return 0;
}

enum {
	OPT_FA_SPI = 256, OPT_FA_KEY, OPT_FA_ALG, OPT_EXTRA, OPT_NO_RESYNC,
	OPT_COUNT, OPT_RATE, OPT_DURATION, OPT_REQUESTS, OPT_WINDOW, OPT_SAME_EXPIRY,
};

static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !*s || !(v > 0) || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct mipreg_opts *o)
{
	static const struct option longopts[] = {
		{ "home-address", 1, NULL, 'H' }, { "home-agent", 1, NULL, 'a' },
		{ "care-of", 1, NULL, 'c' }, { "lifetime", 1, NULL, 'l' }, { "flags", 1, NULL, 'F' },
		{ "spi", 1, NULL, 's' }, { "key", 1, NULL, 'k' }, { "algorithm", 1, NULL, 'A' },
		{ "replay", 1, NULL, 'r' }, { "id", 1, NULL, 'i' }, { "nonce", 1, NULL, 'n' },
		{ "nai", 1, NULL, 'N' }, { "dest", 1, NULL, 'd' }, { "port", 1, NULL, 'p' },
		{ "bind", 1, NULL, 'b' }, { "timeout", 1, NULL, 't' }, { "retries", 1, NULL, 'R' },
		{ "json", 0, NULL, 'j' }, { "help", 0, NULL, 'h' },
		{ "fa-spi", 1, NULL, OPT_FA_SPI }, { "fa-key", 1, NULL, OPT_FA_KEY },
		{ "fa-algorithm", 1, NULL, OPT_FA_ALG }, { "extra", 1, NULL, OPT_EXTRA },
		{ "no-resync", 0, NULL, OPT_NO_RESYNC },
		{ "count", 1, NULL, OPT_COUNT }, { "rate", 1, NULL, OPT_RATE },
		{ "duration", 1, NULL, OPT_DURATION }, { "requests", 1, NULL, OPT_REQUESTS },
		{ "window", 1, NULL, OPT_WINDOW }, { "same-expiry", 0, NULL, OPT_SAME_EXPIRY },
		{ NULL, 0, NULL, 0 },
	};
	bool have_hoa = false, have_ha = false, have_coa = false, have_dest = false;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = MIP_UDP_PORT;
	o->lifetime = 1800;
	o->mn.alg = o->fa.alg = MIP_AUTH_HMAC_MD5;
	o->mn.keylen = -1;
	o->replay = MIP_REPLAY_TIMESTAMPS;
	o->timeout_ms = 1000;
	o->retries = 2;
	o->resync = true;
	while ((c = getopt_long(argc, argv, "H:a:c:l:F:s:k:A:r:i:n:N:d:p:b:t:R:jh", longopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'H': bad = parse_addr(optarg, &o->hoa, "home"); have_hoa = true; break;
		case 'a': bad = parse_addr(optarg, &o->ha, "home agent"); have_ha = true; break;
		case 'c': bad = parse_addr(optarg, &o->coa, "care-of"); have_coa = true; break;
		case 'd': bad = parse_addr(optarg, &o->dest, "destination"); have_dest = true; break;
		case 'b': bad = parse_addr(optarg, &o->bind, "source"); break;
		case 'l': bad = parse_u64(optarg, 10, 0xffff, &v); o->lifetime = (unsigned)v; break;
		case 'p': bad = parse_u64(optarg, 10, 0xffff, &v); o->port = (uint16_t)v; break;
		case 't': bad = parse_u64(optarg, 10, 600000, &v); o->timeout_ms = (int)v; break;
		case 'R': bad = parse_u64(optarg, 10, 100, &v); o->retries = (int)v; break;
		case 'F': bad = parse_flags(optarg, &o->flags); break;
		case 's': bad = parse_u64(optarg, 0, 0xffffffffu, &v); o->mn.spi = (uint32_t)v; break;
		case OPT_FA_SPI: bad = parse_u64(optarg, 0, 0xffffffffu, &v); o->fa.spi = (uint32_t)v; break;
		case 'k': o->mn.keylen = mip_key_from_hex(optarg, o->mn.key, MIP_KEY_MAX); bad = o->mn.keylen < 0; break;
		case OPT_FA_KEY: o->fa.keylen = mip_key_from_hex(optarg, o->fa.key, MIP_KEY_MAX); bad = o->fa.keylen < 0; break;
		case 'A': bad = mip_auth_alg_parse(optarg, &o->mn.alg); break;
		case OPT_FA_ALG: bad = mip_auth_alg_parse(optarg, &o->fa.alg); break;
		case 'r': bad = mip_replay_parse(optarg, &o->replay); break;
		case 'i': bad = parse_u64(optarg, 16, UINT64_MAX, &o->id); o->have_id = true; break;
		case 'n': bad = parse_u64(optarg, 16, 0xffffffffu, &v); o->nonce = (uint32_t)v; break;
		case 'N': o->nai = optarg; bad = strlen(optarg) == 0 || strlen(optarg) > 255; break;
		case OPT_EXTRA: o->extra_len = mip_key_from_hex(optarg, o->extra, sizeof(o->extra)); bad = o->extra_len < 0; break;
		case OPT_NO_RESYNC: o->resync = false; break;
		case OPT_COUNT: bad = parse_u64(optarg, 0, 1u << 24, &v) || !v; o->count = (uint32_t)v; o->load = true; break;
		case OPT_RATE: bad = parse_seconds(optarg, 1e9, &o->rate); o->load = true; break;
		case OPT_DURATION: bad = parse_seconds(optarg, 86400, &o->duration); o->load = true; break;
		case OPT_REQUESTS: bad = parse_u64(optarg, 0, UINT64_MAX, &o->requests) || !o->requests; o->load = true; break;
		case OPT_SAME_EXPIRY: o->same_expiry = o->load = true; break;
		case OPT_WINDOW: bad = parse_u64(optarg, 0, 1u << 24, &v) || !v; o->window = (uint32_t)v; o->load = true; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		if (bad) {
			fprintf(stderr, "mipreg: invalid value for -%c: '%s'\n", c < 256 ? c : '-', optarg);
			return -1;
		}
	}
	if (!have_hoa || !have_ha || o->mn.keylen < 0 || optind != argc) {
		fprintf(stderr, "mipreg: --home-address, --home-agent and --key are required\n");
		usage(stderr);
		return -1;
	}
	o->have_coa = have_coa;
	if (!have_coa)
		o->coa = o->hoa;
	if (o->load) {
		if (!o->count)
			o->count = 1;
		if (!o->window)
			o->window = 256;
		if ((uint64_t)ntohl(o->hoa.s_addr) + o->count - 1 > 0xffffffffu || o->have_id) {
			fprintf(stderr, "mipreg: --count needs room for its home addresses after -H, "
				"and no --id\n");
			return -1;
		}
	}
	if (!have_dest)
		o->dest = o->ha;
	return 0;
}

/* A fresh identification (RFC 5944 §5.7). */
static uint64_t new_id(const struct mipreg_opts *o, int64_t clock_offset)
{
	uint64_t now = mip_ntp_now();
	uint32_t low, rnd = 0;

	mip_random(&rnd, sizeof(rnd));
	if (o->replay == MIP_REPLAY_NONCES)
		return (uint64_t)o->nonce << 32 | rnd;
	/* NTP seconds and fraction; the fraction's bits below the clock's
	 * resolution come from randomness (§5.7.1), keeping ids increasing */
	low = ((uint32_t)now & ~0xffu) | (rnd & 0xffu);
	return (uint64_t)((int64_t)(now >> 32) + clock_offset) << 32 | low;
}

static size_t build_request(const struct mipreg_opts *o, struct mip_buf *b, uint64_t id)
{
	struct mip_reg_request rq = {
		.flags = o->flags, .lifetime = (uint16_t)o->lifetime,
		.hoa = o->hoa, .ha = o->ha, .coa = o->coa, .id = id,
	};

	mip_buf_reset(b);
	mip_build_request(b, &rq);
	if (o->nai)
		mip_build_nai(b, (const uint8_t *)o->nai, strlen(o->nai));
	if (o->extra_len)
		mip_buf_put(b, o->extra, (size_t)o->extra_len);
	mip_auth_append(b, MIP_EXT_MN_HA, 0, o->mn.spi, o->mn.alg, o->mn.key, (size_t)o->mn.keylen);
	if (o->fa.spi)
		mip_auth_append(b, MIP_EXT_FA_HA, 0, o->fa.spi, o->fa.alg, o->fa.key,
				o->fa.keylen > 0 ? (size_t)o->fa.keylen : 0);
	return mip_buf_ok(b) ? b->len : 0;
}

struct result {
	struct mip_reg_reply rp;
	bool authenticated;
	const char *problem;       /* why the reply is bad, or NULL */
	struct in_addr from;
	uint16_t from_port;
	uint64_t rtt_ms;
};

/* Send and wait for the matching reply, with retries.  Returns 0 when a
 * reply was received (good or bad), -1 when none came. */
static int exchange(int fd, const struct mipreg_opts *o, const uint8_t *req, size_t len, uint64_t id,
		    uint8_t *rbuf, size_t rsize, struct result *res)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(o->port), .sin_addr = o->dest };

	for (int try = 0; try <= o->retries; try++) {
		uint64_t start = mip_now_ms(), deadline = start + (uint64_t)o->timeout_ms;

		if (sendto(fd, req, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("mipreg: sendto");
			return -1;
		}
		for (uint64_t now = start; now < deadline; now = mip_now_ms()) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
				continue;
			n = recvfrom(fd, rbuf, rsize, 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			memset(res, 0, sizeof(*res));
			res->from = from.sin_addr;
			res->from_port = ntohs(from.sin_port);
			res->rtt_ms = mip_now_ms() - start;
			if (mip_parse_reply(rbuf, (size_t)n, &res->rp) != MIP_PARSE_OK)
				res->problem = "unparsable reply";
			else if ((res->rp.id & 0xffffffffu) != (id & 0xffffffffu) ||
				 res->rp.hoa.s_addr != o->hoa.s_addr)
				continue;       /* a reply to another request */
			else if (!res->rp.ext.mn_ha.present && res->rp.code >= MIP_CODE_FA_UNSPECIFIED &&
				 res->rp.code < MIP_CODE_HA_UNSPECIFIED)
				;       /* a foreign agent's own denial has no MN-HA (RFC 5944 §3.7.2.3) */
			else if (!res->rp.ext.mn_ha.present || res->rp.ext.mn_ha.spi != o->mn.spi)
				res->problem = "no Mobile-Home authentication extension with our SPI";
			else if (!(res->authenticated = mip_auth_verify(o->mn.alg, o->mn.key, (size_t)o->mn.keylen,
									rbuf, &res->rp.ext.mn_ha)))
				res->problem = "bad Mobile-Home authenticator";
			return 0;
		}
	}
	return -1;
}

static void print_result(const struct mipreg_opts *o, const struct result *r, uint64_t sent_id)
{
	char hoa[INET_ADDRSTRLEN], ha[INET_ADDRSTRLEN], from[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &r->rp.hoa, hoa, sizeof(hoa));
	inet_ntop(AF_INET, &r->rp.ha, ha, sizeof(ha));
	inet_ntop(AF_INET, &r->from, from, sizeof(from));
	if (o->json) {
		printf("{\"from\":\"%s\",\"port\":%u,\"code\":%u,\"code_text\":\"%s\",\"accepted\":%s,"
		       "\"lifetime\":%u,\"home_address\":\"%s\",\"home_agent\":\"%s\","
		       "\"identification\":\"%016llx\",\"sent_identification\":\"%016llx\","
		       "\"authenticated\":%s,\"problem\":%s%s%s,\"rtt_ms\":%llu}\n",
		       from, r->from_port, r->rp.code, mip_code_str(r->rp.code),
		       mip_code_accepted(r->rp.code) ? "true" : "false", r->rp.lifetime, hoa, ha,
		       (unsigned long long)r->rp.id, (unsigned long long)sent_id,
		       r->authenticated ? "true" : "false", r->problem ? "\"" : "",
		       r->problem ? r->problem : "null", r->problem ? "\"" : "",
		       (unsigned long long)r->rtt_ms);
		return;
	}
	printf("reply from %s:%u: code %u (%s)", from, r->from_port, r->rp.code, mip_code_str(r->rp.code));
	if (mip_code_accepted(r->rp.code))
		printf(" lifetime %u", r->rp.lifetime);
	printf("\n  home-address %s home-agent %s identification %016llx (sent %016llx) rtt %llu ms\n",
	       hoa, ha, (unsigned long long)r->rp.id, (unsigned long long)sent_id,
	       (unsigned long long)r->rtt_ms);
	printf("  authenticator %s\n", r->problem ? r->problem : "ok");
}

static int open_socket(const struct mipreg_opts *o)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = o->bind };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, ttl = 255;

	/* RFC 3024 §4.1.1: a request for a reverse tunnel leaves with TTL 255 */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
	    ((o->flags & MIP_RRQ_T) && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("mipreg: socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct mipreg_opts o;
	struct mip_buf req;
	struct result res;
	uint8_t rbuf[4096];
	uint64_t id;
	int64_t offset = 0;
	int fd, rc;

	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.load)
		return mipreg_load(&o);
	fd = open_socket(&o);
	if (fd < 0 || mip_buf_init(&req, 512) < 0)
		return EXIT_USAGE;
	id = o.have_id ? o.id : new_id(&o, 0);
	for (int attempt = 0;; attempt++) {
		size_t len = build_request(&o, &req, id);

		if (!len) {
			fprintf(stderr, "mipreg: cannot build the request\n");
			rc = EXIT_USAGE;
			break;
		}
		if (exchange(fd, &o, req.data, len, id, rbuf, sizeof(rbuf), &res) < 0) {
			if (o.json)
				printf("{\"code\":null,\"problem\":\"no reply\"}\n");
			else
				printf("no reply from %s after %d tries\n", inet_ntoa(o.dest), o.retries + 1);
			rc = EXIT_NO_REPLY;
			break;
		}
		print_result(&o, &res, id);
		if (res.problem) {
			rc = EXIT_BAD_REPLY;
			break;
		}
		if (res.rp.code == MIP_CODE_HA_ID_MISMATCH && o.resync && attempt == 0) {
			/* §3.6.2.1: resynchronise from the reply's high-order bits */
			if (o.replay == MIP_REPLAY_NONCES)
				o.nonce = (uint32_t)(res.rp.id >> 32);
			else
				offset = (int64_t)(res.rp.id >> 32) - (int64_t)(mip_ntp_now() >> 32);
			id = new_id(&o, offset);
			continue;
		}
		rc = mip_code_accepted(res.rp.code) ? EXIT_ACCEPTED : EXIT_DENIED;
		break;
	}
	mip_buf_free(&req);
	close(fd);
	return rc;
}
