/* MIP-MIB objects and GET/GETNEXT over them (see mib.h).
 *
 * The objects under mipMIBObjects are one sorted array: scalars and tables.
 * A table is described by its entry OID, its accessible columns, the length
 * of its index in sub-identifiers and the largest value of each sub-identifier
 * (255 for an IpAddress octet).  A table's only access to its rows is seek():
 * "the row whose index equals KEY" or "the first row whose index is >= KEY",
 * which the core answers from its ordered trees in O(log n).  GETNEXT turns
 * any requested OID (partial, over-long, or with out-of-range sub-ids) into
 * such a KEY, so a walk never scans and never copies a table.
 *
 * Mappings (to be repeated in README.md and the man pages):
 *  - mipSecAlgorithmType/Mode: every algorithm mipagent implements is based
 *    on MD5, so the type is md5(2).  keyed-md5 and rfc2002-md5 are the MIB's
 *    "prefix+suffix" keyed MD5 (mode prefixSuffix(2)); they differ only in
 *    the span covered (RFC 3344/5944 vs RFC 2002).  hmac-md5 (RFC 2104, the
 *    RFC 5944 default) is MD5 in a mode the 1996 MIB does not name, so its
 *    mode is other(1).
 *  - mipSecKey always reads as a zero-length string, as the MIB requires.
 *  - mipSecReplayMethod: timestamps(2), nonces(3).
 *  - haMobilityBindingRegFlags (RegistrationFlags BITS): S -> simultaneous-
 *    Bindings(5), B -> broadcastDatagram(4), D -> decapsulationbyMN(3),
 *    M -> minEnc(2), G -> gre(1), the RFC 2002 V bit (now reserved 'r') ->
 *    vjCompression(0).  The T bit (RFC 3024) has no BITS position and is not
 *    shown.
 *  - haCounterTable has a row per mobile node the home agent holds state for
 *    (the nodes `mipagentstat nodes` lists).  haRecentServiceDeniedCode has
 *    no instance until a request of that node was denied, as the MIB has no
 *    "none" value; codes 137-139 (RFC 3024) are returned as they are.
 *  - TimeStamp values count hundredths of a second from the subagent's start
 *    (its sysUpTime), 0 for "never".
 */
#include "config.h"
#include <string.h>
#include <arpa/inet.h>
#include "binding.h"
#include "conf.h"
#include "counters.h"
#include "ha.h"
#include "node.h"
#include "mib.h"
#include "mib_int.h"

const uint32_t mib_objects_oid[] = { MIB_MIP_PREFIX, 1 };
const size_t mib_objects_oid_len = MIB_MIP_PREFIX_LEN + 1;

#define OBJ_SUFFIX_MAX 5

/* ---------------------------------------------------------------- helpers */

uint32_t mib_timestamp(const struct mib_ctx *ctx, uint64_t ms)
{
	if (ms == 0 || ms <= ctx->start_ms)
		return 0;
	return (uint32_t)((ms - ctx->start_ms) / 10);
}

uint8_t mib_reg_flags(uint8_t f)
{
	uint8_t bits = 0;

	if (f & 0x04) bits |= 0x80;     /* V (RFC 2002) / r -> vjCompression(0) */
	if (f & 0x08) bits |= 0x40;     /* G -> gre(1) */
	if (f & 0x10) bits |= 0x20;     /* M -> minEnc(2) */
	if (f & 0x20) bits |= 0x10;     /* D -> decapsulationbyMN(3) */
	if (f & 0x40) bits |= 0x08;     /* B -> broadcastDatagram(4) */
	if (f & 0x80) bits |= 0x04;     /* S -> simultaneousBindings(5) */
	return bits;
}

static void val_int(struct mib_value *v, int32_t i)
{
	memset(v, 0, sizeof(*v));
	v->type = MIB_INTEGER;
	v->i = i;
}

static void val_u32(struct mib_value *v, enum mib_type t, uint32_t u)
{
	memset(v, 0, sizeof(*v));
	v->type = t;
	v->u = u;
}

static void val_addr(struct mib_value *v, struct in_addr a)
{
	memset(v, 0, sizeof(*v));
	v->type = MIB_IPADDRESS;
	memcpy(v->octets, &a.s_addr, 4);
	v->len = 4;
}

static void val_octets(struct mib_value *v, const uint8_t *p, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->type = MIB_OCTETS;
	if (len > MIB_OCTETS_MAX)
		len = MIB_OCTETS_MAX;
	if (len)
		memcpy(v->octets, p, len);
	v->len = len;
}

/* Index sub-ids <-> addresses (4 sub-ids, network order of octets). */
static struct in_addr key_addr(const uint32_t *k)
{
	struct in_addr a = { .s_addr = htonl(k[0] << 24 | k[1] << 16 | k[2] << 8 | k[3]) };

	return a;
}

static void addr_key(struct in_addr a, uint32_t *k)
{
	uint32_t h = ntohl(a.s_addr);

	k[0] = h >> 24;
	k[1] = (h >> 16) & 0xff;
	k[2] = (h >> 8) & 0xff;
	k[3] = h & 0xff;
}

static const uint32_t max_addr[] = { 255, 255, 255, 255 };
static const uint32_t max_addr_spi[] = { 255, 255, 255, 255, UINT32_MAX };
static const uint32_t max_addr2[] = { 255, 255, 255, 255, 255, 255, 255, 255 };

/* ---------------------------------------------------------------- scalars */

static bool sc_entities(const struct mib_ctx *ctx, struct mib_value *v)
{
	uint8_t bits = 0;

	if (ctx->conf && ctx->conf->ha.enabled)
		bits |= 0x20;           /* homeAgent(2); foreignAgent(1) is 0x40 */
	val_octets(v, &bits, 1);
	return true;
}

static bool sc_enable(const struct mib_ctx *ctx, struct mib_value *v)
{
	(void)ctx;
	val_int(v, 1);                  /* enabled(1) */
	return true;
}

static bool sc_encaps(const struct mib_ctx *ctx, struct mib_value *v)
{
	uint8_t bits = 0x80;            /* ipInIp(0): always */

	if (ctx->conf && ctx->conf->ha.encaps_gre)
		bits |= 0x40;           /* gre(1) */
	if (ctx->conf && ctx->conf->ha.encaps_minimal)
		bits |= 0x20;           /* minEnc(2) */
	val_octets(v, &bits, 1);
	return true;
}

static bool sc_false(const struct mib_ctx *ctx, struct mib_value *v)
{
	(void)ctx;
	val_int(v, 2);                  /* TruthValue false(2) */
	return true;
}

/* Counter32 scalars: the core's counter with the object's name (counters.h
 * maps its enum one-to-one onto MIB objects); found by name once, so a counter
 * the core does not count (yet) reads 0 instead of breaking the build. */
static int counter_index(const char *name)
{
	for (int c = 0; c < MIP_CTR_COUNT; c++)
		if (!strcmp(mip_counter_mib_name(c), name))
			return c;
	return -1;
}

/* ---------------------------------------------------------------- tables */

/* A row found by seek(): its index and what the column getter needs. */
struct mib_row {
	uint32_t key[MIB_INDEX_MAX];
	const void *obj;
};

struct mib_table {
	uint32_t col_min, col_max;                      /* accessible columns */
	size_t index_len;
	const uint32_t *index_max;                      /* per sub-id */
	/* exact: the row with index @key; else the first row with index >= @key */
	bool (*seek)(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r);
	/* false: this row has no instance of @col (sparse) */
	bool (*column)(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		       struct mib_value *v);
};

/* -- empty tables (foreign agent and advertisement: not implemented yet) */

static bool seek_none(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r)
{
	(void)ctx, (void)key, (void)exact, (void)r;
	return false;
}

static bool col_none(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		     struct mib_value *v)
{
	(void)ctx, (void)r, (void)col, (void)v;
	return false;
}

/* -- haMobilityBindingTable, INDEX { haMobilityBindingMN, haMobilityBindingCOA } */

static bool seek_binding(const struct mib_ctx *ctx, const uint32_t *key, bool exact,
			 struct mib_row *r)
{
	struct in_addr hoa = key_addr(key), coa = key_addr(key + 4);
	struct mip_binding *b;

	if (!ctx->ha)
		return false;
	b = binding_lookup(&ctx->ha->bindings, hoa, coa);
	if (!b && !exact)
		b = binding_next(&ctx->ha->bindings, hoa, coa);
	if (!b)
		return false;
	addr_key(b->node->hoa, r->key);
	addr_key(b->coa, r->key + 4);
	r->obj = b;
	return true;
}

static bool col_binding(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
			struct mib_value *v)
{
	const struct mip_binding *b = r->obj;
	uint8_t bits;

	switch (col) {
	case 1: val_addr(v, b->node->hoa); break;                       /* MN */
	case 2: val_addr(v, b->coa); break;                             /* COA */
	case 3: val_addr(v, b->src); break;                             /* SourceAddress */
	case 4: bits = mib_reg_flags(b->flags); val_octets(v, &bits, 1); break;
	case 5: val_int(v, (int32_t)(uint32_t)(b->id & 0xffffffffu)); break;  /* RegIDLow */
	case 6: val_int(v, (int32_t)(uint32_t)(b->id >> 32)); break;    /* RegIDHigh */
	case 7: val_int(v, b->lifetime); break;                         /* TimeGranted */
	case 8: val_u32(v, MIB_GAUGE32, binding_remaining(b, ctx->now_ms())); break;
	default: return false;
	}
	return true;
}

/* -- haCounterTable, INDEX { haMobilityBindingMN } */

static bool seek_node(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r)
{
	struct in_addr hoa = key_addr(key);
	struct mip_node *n;

	if (!ctx->ha)
		return false;
	n = node_find(&ctx->ha->nodes, hoa);
	if (!n && !exact)
		n = node_next(&ctx->ha->nodes, hoa);
	if (!n)
		return false;
	addr_key(n->hoa, r->key);
	r->obj = n;
	return true;
}

static bool col_node(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		     struct mib_value *v)
{
	const struct mip_node *n = r->obj;

	switch (col) {
	case 2: val_u32(v, MIB_COUNTER32, n->ctr.accepted); break;
	case 3: val_u32(v, MIB_COUNTER32, n->ctr.denied); break;
	case 4: val_u32(v, MIB_GAUGE32, n->ctr.service_time); break;
	case 5: val_u32(v, MIB_TIMETICKS, mib_timestamp(ctx, n->ctr.recent_accepted_ms)); break;
	case 6: val_u32(v, MIB_TIMETICKS, mib_timestamp(ctx, n->ctr.recent_denied_ms)); break;
	case 7:
		if (!n->ctr.recent_denied_code)
			return false;
		val_int(v, n->ctr.recent_denied_code);
		break;
	default: return false;
	}
	return true;
}

/* -- mipSecAssocTable, INDEX { mipSecPeerAddress, mipSecSPI }: the SAs of
 * every configured mobile node (each address of a range has the range's
 * SAs) and of every peer agent, from the sorted configuration arrays. */

static uint32_t host(struct in_addr a) { return ntohl(a.s_addr); }

/* The configured node covering @a (host order), or the first one after it. */
static const struct conf_node *conf_node_ge(const struct conf_home_agent *ha, uint32_t a)
{
	size_t lo = 0, hi = ha->n_nodes;

	/* first node whose last address is >= a (nodes are sorted, disjoint) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (host(ha->nodes[mid].last) < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ha->n_nodes ? &ha->nodes[lo] : NULL;
}

static const struct conf_peer *conf_peer_ge(const struct conf *c, uint32_t a)
{
	size_t lo = 0, hi = c->n_peers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (host(c->peers[mid].addr) < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n_peers ? &c->peers[lo] : NULL;
}

/* The SA with the smallest SPI >= @spi in @sas, or NULL (lists are short). */
static const struct conf_sa *sa_ge(const struct conf_sa *sas, size_t n, uint32_t spi)
{
	const struct conf_sa *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (sas[i].spi >= spi && (!best || sas[i].spi < best->spi))
			best = &sas[i];
	return best;
}

/* Smallest SPI >= @spi at address @a among node and peer SAs. */
static const struct conf_sa *sa_at(const struct conf *c, uint32_t a, uint32_t spi)
{
	const struct conf_node *n = c->ha.enabled ? conf_node_ge(&c->ha, a) : NULL;
	const struct conf_peer *p = conf_peer_ge(c, a);
	const struct conf_sa *x = NULL, *y = NULL;

	if (n && host(n->first) <= a)
		x = sa_ge(n->sas, n->n_sas, spi);
	if (p && host(p->addr) == a)
		y = sa_ge(p->sas, p->n_sas, spi);
	if (!x)
		return y;
	if (!y)
		return x;
	return y->spi < x->spi ? y : x;
}

/* The smallest address >= @a that has SAs; false if none. */
static bool sa_addr_ge(const struct conf *c, uint32_t a, uint32_t *out)
{
	const struct conf_node *n = c->ha.enabled ? conf_node_ge(&c->ha, a) : NULL;
	const struct conf_peer *p = conf_peer_ge(c, a);
	bool have = false;
	uint32_t best = 0;

	if (n) {
		best = host(n->first) > a ? host(n->first) : a;
		have = true;
	}
	if (p && (!have || host(p->addr) < best)) {
		best = host(p->addr);
		have = true;
	}
	*out = best;
	return have;
}

static bool seek_sa(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r)
{
	const struct conf *c = ctx->conf;
	uint32_t a = host(key_addr(key)), spi = key[4];
	const struct conf_sa *sa;

	if (!c)
		return false;
	sa = sa_at(c, a, spi);
	if (exact) {
		if (!sa || sa->spi != spi)
			return false;
	} else if (!sa) {
		if (a == UINT32_MAX || !sa_addr_ge(c, a + 1, &a))
			return false;
		sa = sa_at(c, a, 0);
		if (!sa)
			return false;
	}
	r->key[0] = a >> 24;
	r->key[1] = (a >> 16) & 0xff;
	r->key[2] = (a >> 8) & 0xff;
	r->key[3] = a & 0xff;
	r->key[4] = sa->spi;
	r->obj = sa;
	return true;
}

static bool col_sa(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		   struct mib_value *v)
{
	const struct conf_sa *sa = r->obj;

	(void)ctx;
	switch (col) {
	case 3: val_int(v, 2); break;   /* mipSecAlgorithmType: md5(2) */
	case 4: val_int(v, sa->alg == MIP_AUTH_HMAC_MD5 ? 1 : 2); break;  /* other / prefixSuffix */
	case 5: val_octets(v, NULL, 0); break;  /* mipSecKey: never shown */
	case 6: val_int(v, sa->replay == MIP_REPLAY_NONCES ? 3 : 2); break;
	default: return false;
	}
	return true;
}

/* -- mipSecViolationTable, INDEX { mipSecViolatorAddress } */

static bool seek_violation(const struct mib_ctx *ctx, const uint32_t *key, bool exact,
			   struct mib_row *r)
{
	const struct mib_violation *mv;
	uint32_t a = host(key_addr(key));

	if (!ctx->violations)
		return false;
	mv = mib_violations_seek(ctx->violations, a, exact);
	if (!mv)
		return false;
	addr_key((struct in_addr){ .s_addr = htonl(mv->addr) }, r->key);
	r->obj = mv;
	return true;
}

static bool col_violation(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
			  struct mib_value *v)
{
	const struct mib_violation *mv = r->obj;

	switch (col) {
	case 2: val_u32(v, MIB_COUNTER32, mv->count); break;
	case 3: val_int(v, (int32_t)mv->spi); break;
	case 4: val_u32(v, MIB_TIMETICKS, mib_timestamp(ctx, mv->time_ms)); break;
	case 5: val_int(v, (int32_t)(uint32_t)(mv->id & 0xffffffffu)); break;
	case 6: val_int(v, (int32_t)(uint32_t)(mv->id >> 32)); break;
	case 7: val_int(v, mv->reason); break;
	default: return false;
	}
	return true;
}

static const struct mib_table t_sec_assoc = { 3, 6, 5, max_addr_spi, seek_sa, col_sa };
static const struct mib_table t_sec_violation = { 2, 7, 4, max_addr, seek_violation, col_violation };
static const struct mib_table t_ma_adv_config = { 2, 9, 4, max_addr, seek_none, col_none };
static const struct mib_table t_fa_coa = { 2, 2, 4, max_addr, seek_none, col_none };
static const struct mib_table t_fa_visitor = { 1, 9, 4, max_addr, seek_none, col_none };
static const struct mib_table t_ha_binding = { 1, 8, 8, max_addr2, seek_binding, col_binding };
static const struct mib_table t_ha_counter = { 2, 7, 4, max_addr, seek_node, col_node };

/* ---------------------------------------------------------------- the object list */

struct mib_obj {
	uint32_t sfx[OBJ_SUFFIX_MAX];   /* under mipMIBObjects: scalar object or table entry */
	size_t sfx_len;
	bool (*scalar)(const struct mib_ctx *ctx, struct mib_value *v);
	const struct mib_table *table;
	const char *counter;            /* a Counter32 scalar: the MIB name of the core's counter */
};

#define S2(a, b, fn) { { a, b }, 2, fn, NULL, NULL }
#define S3(a, b, c, fn) { { a, b, c }, 3, fn, NULL, NULL }
#define C2(a, b, name) { { a, b }, 2, NULL, NULL, name }
#define C3(a, b, c, name) { { a, b, c }, 3, NULL, NULL, name }
#define T3(a, b, c, t) { { a, b, c }, 3, NULL, &t, NULL }
#define T4(a, b, c, d, t) { { a, b, c, d }, 4, NULL, &t, NULL }

/* Sorted by OID. */
static const struct mib_obj objs[] = {
	S2(1, 1, sc_entities),                  /* mipEntities */
	S2(1, 2, sc_enable),                    /* mipEnable */
	S2(1, 3, sc_encaps),                    /* mipEncapsulationSupported */
	T3(2, 1, 1, t_sec_assoc),               /* mipSecAssocEntry */
	C2(2, 2, "mipSecTotalViolations"),
	T3(2, 3, 1, t_sec_violation),           /* mipSecViolationEntry */
	T4(4, 2, 1, 1, t_ma_adv_config),        /* maAdvConfigEntry */
	C3(4, 2, 2, "maAdvertisementsSent"),
	C3(4, 2, 3, "maAdvsSentForSolicitation"),
	C3(4, 2, 4, "maSolicitationsReceived"),
	T4(5, 1, 1, 1, t_fa_coa),               /* faCOAEntry */
	S3(5, 2, 1, sc_false),                  /* faIsBusy */
	S3(5, 2, 2, sc_false),                  /* faRegistrationRequired */
	T4(5, 3, 1, 1, t_fa_visitor),           /* faVisitorEntry */
	C3(5, 3, 2, "faRegRequestsReceived"),
	C3(5, 3, 3, "faRegRequestsRelayed"),
	C3(5, 3, 4, "faReasonUnspecified"),
	C3(5, 3, 5, "faAdmProhibited"),
	C3(5, 3, 6, "faInsufficientResource"),
	C3(5, 3, 7, "faMNAuthenticationFailure"),
	C3(5, 3, 8, "faRegLifetimeTooLong"),
	C3(5, 3, 9, "faPoorlyFormedRequests"),
	C3(5, 3, 10, "faEncapsulationUnavailable"),
	C3(5, 3, 11, "faVJCompressionUnavailable"),
	C3(5, 3, 12, "faHAUnreachable"),
	C3(5, 3, 13, "faRegRepliesRecieved"),
	C3(5, 3, 14, "faRegRepliesRelayed"),
	C3(5, 3, 15, "faHAAuthenticationFailure"),
	C3(5, 3, 16, "faPoorlyFormedReplies"),
	T4(6, 3, 1, 1, t_ha_binding),           /* haMobilityBindingEntry */
	T4(6, 3, 2, 1, t_ha_counter),           /* haCounterEntry */
	C3(6, 3, 3, "haRegistrationAccepted"),
	C3(6, 3, 4, "haMultiBindingUnsupported"),
	C3(6, 3, 5, "haReasonUnspecified"),
	C3(6, 3, 6, "haAdmProhibited"),
	C3(6, 3, 7, "haInsufficientResource"),
	C3(6, 3, 8, "haMNAuthenticationFailure"),
	C3(6, 3, 9, "haFAAuthenticationFailure"),
	C3(6, 3, 10, "haIDMismatch"),
	C3(6, 3, 11, "haPoorlyFormedRequest"),
	C3(6, 3, 12, "haTooManyBindings"),
	C3(6, 3, 13, "haUnknownHA"),
	C3(6, 3, 14, "haGratuitiousARPsSent"),
	C3(6, 3, 15, "haProxyARPsSent"),
	C3(6, 3, 16, "haRegRequestsReceived"),
	C3(6, 3, 17, "haDeRegRequestsReceived"),
	C3(6, 3, 18, "haRegRepliesSent"),
	C3(6, 3, 19, "haDeRegRepliesSent"),
};
#define N_OBJS (sizeof(objs) / sizeof(objs[0]))

/* The value of scalar objs[@i]. */
static bool obj_scalar(const struct mib_ctx *ctx, size_t i, struct mib_value *v)
{
	static int ctr[N_OBJS];         /* core counter of each Counter32 scalar, -1: none */
	static bool resolved;

	if (objs[i].scalar)
		return objs[i].scalar(ctx, v);
	if (!resolved) {
		for (size_t j = 0; j < N_OBJS; j++)
			ctr[j] = objs[j].counter ? counter_index(objs[j].counter) : -1;
		resolved = true;
	}
	val_u32(v, MIB_COUNTER32, ctr[i] >= 0 ? mip_counters[ctr[i]] : 0);
	return true;
}

/* ---------------------------------------------------------------- OID arithmetic */

static int oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

/* Full OID of @o (mipMIBObjects + suffix) into @out; returns its length. */
static size_t obj_oid(const struct mib_obj *o, uint32_t *out)
{
	memcpy(out, mib_objects_oid, mib_objects_oid_len * sizeof(*out));
	memcpy(out + mib_objects_oid_len, o->sfx, o->sfx_len * sizeof(*out));
	return mib_objects_oid_len + o->sfx_len;
}

/* Increment @key (mixed radix, @max per position) at position @pos and zero
 * the positions after it; false when it carries out of position 0. */
static bool key_increment(uint32_t *key, const uint32_t *max, size_t n, size_t pos)
{
	for (size_t j = pos + 1; j-- > 0;) {
		if (key[j] < max[j]) {
			key[j]++;
			for (size_t k = j + 1; k < n; k++)
				key[k] = 0;
			return true;
		}
	}
	return false;
}

/* The smallest full index whose OID comes after the requested index part
 * @idx[0..len) (which may be partial, over-long or out of range); false when
 * no index can. */
static bool key_after(const struct mib_table *t, const uint32_t *idx, size_t len, uint32_t *key)
{
	size_t n = t->index_len;

	for (size_t i = 0; i < n; i++)
		key[i] = 0;
	for (size_t i = 0; i < len && i < n; i++) {
		if (idx[i] > t->index_max[i])   /* every index with this prefix is smaller */
			return i > 0 && key_increment(key, t->index_max, n, i - 1);
		key[i] = idx[i];
	}
	if (len < n)                            /* prefix.0.0: longer, hence after */
		return true;
	return key_increment(key, t->index_max, n, n - 1);  /* strictly after */
}

/* ---------------------------------------------------------------- GET */

static enum mib_status table_get(const struct mib_ctx *ctx, const struct mib_table *t,
				 const uint32_t *rest, size_t len, struct mib_value *v)
{
	struct mib_row row;
	uint32_t col;

	if (len < 1 || rest[0] < t->col_min || rest[0] > t->col_max)
		return MIB_NO_SUCH_OBJECT;
	col = rest[0];
	if (len - 1 != t->index_len)
		return MIB_NO_SUCH_INSTANCE;
	for (size_t i = 0; i < t->index_len; i++)
		if (rest[1 + i] > t->index_max[i])
			return MIB_NO_SUCH_INSTANCE;
	memset(&row, 0, sizeof(row));
	if (!t->seek(ctx, rest + 1, true, &row) || !t->column(ctx, &row, col, v))
		return MIB_NO_SUCH_INSTANCE;
	return MIB_OK;
}

enum mib_status mib_get(const struct mib_ctx *ctx, const uint32_t *name, size_t len,
			struct mib_value *v)
{
	uint32_t o[MIB_OID_MAX];

	for (size_t i = 0; i < N_OBJS; i++) {
		size_t ol = obj_oid(&objs[i], o);

		if (len < ol || oid_cmp(name, ol, o, ol) != 0)
			continue;
		if (!objs[i].table) {   /* the object type exists: any other instance is missing */
			if (len != ol + 1 || name[ol] != 0)
				return MIB_NO_SUCH_INSTANCE;
			return obj_scalar(ctx, i, v) ? MIB_OK : MIB_NO_SUCH_INSTANCE;
		}
		return table_get(ctx, objs[i].table, name + ol, len - ol, v);
	}
	return MIB_NO_SUCH_OBJECT;
}

/* ---------------------------------------------------------------- GETNEXT */

/* First instance of column @col at or after index @key (inclusive; @have_key
 * false: from the first row), skipping rows without this column. */
static bool column_next(const struct mib_ctx *ctx, const struct mib_table *t, uint32_t col,
			uint32_t *key, bool have_key, struct mib_row *row, struct mib_value *v)
{
	if (!have_key)
		memset(key, 0, t->index_len * sizeof(*key));
	for (;;) {
		memset(row, 0, sizeof(*row));
		if (!t->seek(ctx, key, false, row))
			return false;
		if (t->column(ctx, row, col, v))
			return true;
		memcpy(key, row->key, t->index_len * sizeof(*key));
		if (!key_increment(key, t->index_max, t->index_len, t->index_len - 1))
			return false;
	}
}

/* GETNEXT inside table @o (entry OID @eo, @el long) for request @name. */
static bool table_next(const struct mib_ctx *ctx, const struct mib_obj *o, const uint32_t *eo,
		       size_t el, const uint32_t *name, size_t len, uint32_t *out, size_t *out_len,
		       struct mib_value *v)
{
	const struct mib_table *t = o->table;
	uint32_t col = t->col_min, key[MIB_INDEX_MAX];
	bool have_key = false;
	struct mib_row row;
	int c = oid_cmp(name, len < el ? len : el, eo, el);

	if (c > 0)
		return false;                   /* request after the whole table */
	if (c == 0 && len > el) {               /* inside the entry */
		const uint32_t *rest = name + el;
		size_t rl = len - el;

		if (rest[0] > t->col_max)
			return false;
		if (rest[0] >= t->col_min) {
			col = rest[0];
			have_key = key_after(t, rest + 1, rl - 1, key);
			if (!have_key)
				col++;          /* nothing after it in this column */
			else if (rl - 1 == 0)
				have_key = false;   /* just the column: its first row */
		}
	}
	for (; col <= t->col_max; col++, have_key = false) {
		if (!column_next(ctx, t, col, key, have_key, &row, v))
			continue;
		memcpy(out, eo, el * sizeof(*out));
		out[el] = col;
		memcpy(out + el + 1, row.key, t->index_len * sizeof(*out));
		*out_len = el + 1 + t->index_len;
		return true;
	}
	return false;
}

enum mib_status mib_getnext(const struct mib_ctx *ctx, const uint32_t *name, size_t len,
			    uint32_t *out, size_t *out_len, struct mib_value *v)
{
	uint32_t o[MIB_OID_MAX];

	for (size_t i = 0; i < N_OBJS; i++) {
		size_t ol = obj_oid(&objs[i], o);

		if (!objs[i].table) {
			o[ol] = 0;              /* the instance: object.0 */
			if (oid_cmp(name, len, o, ol + 1) >= 0 || !obj_scalar(ctx, i, v))
				continue;
			memcpy(out, o, (ol + 1) * sizeof(*out));
			*out_len = ol + 1;
			return MIB_OK;
		}
		if (table_next(ctx, &objs[i], o, ol, name, len, out, out_len, v))
			return MIB_OK;
	}
	return MIB_END;
}
