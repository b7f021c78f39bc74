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
 *  - mipSecAssocTable has the SAs of mobile nodes, peer agents and (foreign
 *    agent) visitors with a home address; a range shares its SAs.
 *  - maAdvConfigTable: one row per advertising interface with an address
 *    (indexed by its primary address), active while it advertises
 *    (advertise="true"); a row the subagent holds notInService shows as such.
 *  - faCOATable: the care-of addresses of every foreign agent interface.
 *  - faVisitorTable is indexed by the request's IP source address (the
 *    MIB's faVisitorIPAddress): accepted visitors, then requests still
 *    pending (faVisitorRegIsAccepted false(2), TimeGranted/-Remaining 0)
 *    whose source is their home address; of several at one source address
 *    the first in the foreign agent's order is shown.
 */
#include "config.h"
#include <string.h>
#include <arpa/inet.h>
#include "adv.h"
#include "binding.h"
#include "conf.h"
#include "counters.h"
#include "fa.h"
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
		bits |= 0x20;           /* homeAgent(2) */
	if (ctx->conf && ctx->conf->fa.enabled)
		bits |= 0x40;           /* foreignAgent(1) */
	val_octets(v, &bits, 1);
	return true;
}

static bool sc_enable(const struct mib_ctx *ctx, struct mib_value *v)
{
	val_int(v, !ctx->conf || ctx->conf->mip_enable ? 1 : 2);  /* enabled(1), disabled(2) */
	return true;
}

static bool sc_encaps(const struct mib_ctx *ctx, struct mib_value *v)
{
	const struct conf *c = ctx->conf;
	uint8_t bits = 0x80;            /* ipInIp(0): always */

	if (c && ((c->ha.enabled && c->ha.encaps_gre) || (c->fa.enabled && c->fa.encaps_gre)))
		bits |= 0x40;           /* gre(1) */
	if (c && ((c->ha.enabled && c->ha.encaps_minimal) || (c->fa.enabled && c->fa.encaps_minimal)))
		bits |= 0x20;           /* minEnc(2) */
	val_octets(v, &bits, 1);
	return true;
}

static void val_truth(struct mib_value *v, bool t)
{
	val_int(v, t ? 1 : 2);          /* TruthValue true(1), false(2) */
}

static bool sc_fa_busy(const struct mib_ctx *ctx, struct mib_value *v)
{
	val_truth(v, ctx->fa && fa_is_busy(ctx->fa));
	return true;
}

static bool sc_fa_reg_required(const struct mib_ctx *ctx, struct mib_value *v)
{
	val_truth(v, ctx->conf && ctx->conf->fa.enabled && ctx->conf->fa.registration_required);
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
	int kind;                       /* table specific (a row status, an object type) */
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

static const struct conf_sa *sa_min(const struct conf_sa *x, const struct conf_sa *y)
{
	if (!x)
		return y;
	if (!y)
		return x;
	return y->spi < x->spi ? y : x;
}

/* Smallest SPI >= @spi at address @a among node, peer and visitor SAs (the
 * foreign agent's visitor list is short and unsorted: scanned). */
static const struct conf_sa *sa_at(const struct conf *c, uint32_t a, uint32_t spi)
{
	const struct conf_node *n = c->ha.enabled ? conf_node_ge(&c->ha, a) : NULL;
	const struct conf_peer *p = conf_peer_ge(c, a);
	const struct conf_sa *x = NULL;

	if (n && host(n->first) <= a)
		x = sa_ge(n->sas, n->n_sas, spi);
	if (p && host(p->addr) == a)
		x = sa_min(x, sa_ge(p->sas, p->n_sas, spi));
	for (size_t i = 0; c->fa.enabled && i < c->fa.n_visitors; i++) {
		const struct conf_visitor *v = &c->fa.visitors[i];

		if (v->addr.s_addr != INADDR_ANY && host(v->addr) == a)
			x = sa_min(x, sa_ge(v->sas, v->n_sas, spi));
	}
	return x;
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
	for (size_t i = 0; c->fa.enabled && i < c->fa.n_visitors; i++) {
		const struct conf_visitor *v = &c->fa.visitors[i];
		uint32_t h = host(v->addr);

		if (v->addr.s_addr != INADDR_ANY && v->n_sas && h >= a && (!have || h < best)) {
			best = h;
			have = true;
		}
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

/* -- maAdvConfigTable, INDEX { maInterfaceAddress }: the advertising
 * interfaces agent discovery knows, by their primary address; a row exists
 * while the interface advertises (advertise="true": active(1)) or while the
 * subagent holds it notInService(2).  Its columns are the configuration's
 * (the daemon's own, not the copy agent discovery may run on while mipEnable
 * is disabled). */

bool mib_adv_find(const struct mib_ctx *ctx, struct in_addr a, bool next, struct mib_adv_if *out)
{
	struct adv_row r;

	if (ctx->adv_find)
		return ctx->adv_find(ctx, a, next, out);
	if (!ctx->adv || !adv_row_find(ctx->adv, a, next, &r))
		return false;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", r.ifname);
	out->addr = r.address;
	out->plen = r.plen;
	return true;
}

const struct conf_adv_if *mib_conf_adv_if(const struct conf *c, const char *name)
{
	const struct conf_adv_if *i = c->fa.enabled ? conf_find_fa_if(&c->fa, name) : NULL;

	if (!i && c->ha.enabled && c->ha.adv && !strcmp(c->ha.adv->name, name))
		i = c->ha.adv;
	return i;
}

/* The RowStatus of interface @name's row: 0 (none), active(1), notInService(2). */
static int adv_status(const struct mib_ctx *ctx, const char *name, const struct conf_adv_if **ci)
{
	*ci = ctx->conf ? mib_conf_adv_if(ctx->conf, name) : NULL;
	if (!*ci)
		return 0;
	if ((*ci)->advertise)
		return 1;
	return mib_rows_adv_held(ctx->rows, name, ctx->now_ms()) ? 2 : 0;
}

static bool seek_adv(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r)
{
	const struct conf_adv_if *ci = NULL;
	struct mib_adv_if ai;
	bool found = mib_adv_find(ctx, key_addr(key), false, &ai);
	int st = found ? adv_status(ctx, ai.name, &ci) : 0;

	if (exact && !st)
		return false;
	if (!found)
		found = mib_adv_find(ctx, key_addr(key), true, &ai);
	/* interfaces are few: skip those without a row */
	while (found && !(st = adv_status(ctx, ai.name, &ci)))
		found = mib_adv_find(ctx, ai.addr, true, &ai);
	if (!found)
		return false;
	addr_key(ai.addr, r->key);
	r->obj = ci;
	r->kind = st;
	return true;
}

static bool col_adv(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		    struct mib_value *v)
{
	const struct conf_adv_if *i = r->obj;

	(void)ctx;
	switch (col) {
	case 2: val_int(v, (int32_t)i->max_lifetime); break;      /* maAdvMaxRegLifetime */
	case 3: val_truth(v, i->prefix_length_inclusion); break;
	case 4: val_addr(v, i->adv_address); break;                /* maAdvAddress */
	case 5: val_int(v, (int32_t)i->max_interval); break;
	case 6: val_int(v, (int32_t)i->min_interval); break;
	case 7: val_int(v, (int32_t)i->adv_lifetime); break;      /* maAdvMaxAdvLifetime */
	case 8: val_truth(v, i->solicitation_only); break;
	case 9: val_int(v, r->kind); break;                        /* maAdvStatus */
	default: return false;
	}
	return true;
}

/* -- faCOATable, INDEX { faSupportedCOA }: the care-of addresses of every
 * foreign agent interface (active), and those held notInService.  A foreign
 * agent offers a handful: scanned. */

static bool coa_configured(const struct conf *c, uint32_t a)
{
	for (size_t i = 0; c && c->fa.enabled && i < c->fa.n_ifaces; i++)
		for (size_t j = 0; j < c->fa.ifaces[i].n_coas; j++)
			if (host(c->fa.ifaces[i].coas[j].addr) == a)
				return true;
	return false;
}

static bool seek_coa(const struct mib_ctx *ctx, const uint32_t *key, bool exact, struct mib_row *r)
{
	const struct conf *c = ctx->conf;
	uint32_t a = host(key_addr(key)), best = 0, h;
	bool have = false;

	for (size_t i = 0; c && c->fa.enabled && i < c->fa.n_ifaces; i++)
		for (size_t j = 0; j < c->fa.ifaces[i].n_coas; j++) {
			h = host(c->fa.ifaces[i].coas[j].addr);
			if (h >= a && (!have || h < best)) {
				best = h;
				have = true;
			}
		}
	if (mib_rows_coa_ge(ctx->rows, a, ctx->now_ms(), &h) && (!have || h < best)) {
		best = h;
		have = true;
	}
	if (!have || (exact && best != a))
		return false;
	addr_key((struct in_addr){ .s_addr = htonl(best) }, r->key);
	r->kind = coa_configured(c, best) ? 1 : 2;
	return true;
}

static bool col_coa(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
		    struct mib_value *v)
{
	(void)ctx;
	if (col != 2)
		return false;
	val_int(v, r->kind);            /* faCOAStatus */
	return true;
}

/* -- faVisitorTable, INDEX { faVisitorIPAddress }: accepted visitors through
 * the subagent's index by source address (mib_vindex, O(log n)), requests
 * still pending through the foreign agent's tree, which is ordered by home
 * address: those whose source is their home address (every request but one
 * from a co-located care-of address, RFC 5944 §3.7.1: registration required). */

/* TODO(foreign agent, fa.h): an accessor in the MIB's order would replace
 * mib_vindex and show every pending request, whatever its source:
 *   const struct fa_visitor *fa_visitor_by_src(const struct mip_fa *fa,
 *           struct in_addr src, bool exact);    -- first with source >= src
 *   const struct fa_pending *fa_pending_by_src(const struct mip_fa *fa,
 *           struct in_addr src, bool exact);
 * (a second RB tree per table keyed by source address, then the existing
 * key; O(log n)).  Until then pending requests sent from a co-located
 * care-of address (source != home address) are not listed. */
enum { FV_VISITOR = 1, FV_PENDING = 2 };

/* The visitor @k names, if it is still there with that source address. */
static const struct fa_visitor *fv_visitor(const struct mib_ctx *ctx, const struct mib_vkey *k)
{
	const struct fa_visitor *v = fa_visitor_next(ctx->fa, k->hoa, k->ha, k->ifindex - 1);

	if (!v || v->hoa.s_addr != k->hoa.s_addr || v->ha.s_addr != k->ha.s_addr ||
	    v->ifindex != k->ifindex)
		return NULL;
	return v;
}

/* The first accepted visitor with source address >= @a (host order). */
static const struct fa_visitor *fv_visitor_ge(const struct mib_ctx *ctx, uint32_t a)
{
	struct mib_vkey k = { .src.s_addr = htonl(a), .ifindex = INT32_MIN };
	const struct mib_vkey *e;

	if (!ctx->vindex)
		return NULL;
	/* entries whose visitor is gone or has another source now (no event
	 * says so when only the source changes) are corrected on the way */
	for (int fixes = 0; (e = mib_vindex_ge(ctx->vindex, &k)) && fixes < 64; fixes++) {
		const struct fa_visitor *v = fv_visitor(ctx, e);
		struct mib_vkey fix = *e;

		if (v && v->src.s_addr == e->src.s_addr)
			return v;
		mib_vindex_del(ctx->vindex, &fix);
		if (v) {
			fix.src = v->src;
			mib_vindex_add(ctx->vindex, &fix);
		}
	}
	return NULL;
}

/* The first pending request with home address (and source) >= @a. */
static const struct fa_pending *fv_pending_ge(const struct mib_ctx *ctx, uint32_t a)
{
	const struct fa_pending *p;

	if (a == 0) {
		p = fa_pending_first(ctx->fa);
	} else {
		struct fa_pkey after;

		memset(&after, 0xff, sizeof(after));    /* after every key of home address a - 1 */
		after.hoa.s_addr = htonl(a - 1);
		p = fa_pending_next(ctx->fa, &after);
	}
	while (p && p->src.s_addr != p->key.hoa.s_addr)
		p = fa_pending_next(ctx->fa, &p->key);
	return p;
}

static bool seek_visitor(const struct mib_ctx *ctx, const uint32_t *key, bool exact,
			 struct mib_row *r)
{
	uint32_t a = host(key_addr(key));
	const struct fa_visitor *v;
	const struct fa_pending *p;
	uint32_t va, pa;

	if (!ctx->fa)
		return false;
	v = fv_visitor_ge(ctx, a);
	p = fv_pending_ge(ctx, a);
	va = v ? host(v->src) : 0;
	pa = p ? host(p->src) : 0;
	if (v && (!p || va <= pa)) {
		r->obj = v;
		r->kind = FV_VISITOR;
	} else if (p) {
		r->obj = p;
		r->kind = FV_PENDING;
		va = pa;
	} else {
		return false;
	}
	if (exact && va != a)
		return false;
	addr_key((struct in_addr){ .s_addr = htonl(va) }, r->key);
	return true;
}

static bool col_visitor(const struct mib_ctx *ctx, const struct mib_row *r, uint32_t col,
			struct mib_value *v)
{
	const struct fa_visitor *fv = r->kind == FV_VISITOR ? r->obj : NULL;
	const struct fa_pending *p = r->kind == FV_PENDING ? r->obj : NULL;
	uint64_t id = fv ? fv->id : p->id;
	uint8_t bits = mib_reg_flags(fv ? fv->flags : p->flags);

	switch (col) {
	case 1: val_addr(v, fv ? fv->src : p->src); break;         /* faVisitorIPAddress */
	case 2: val_addr(v, fv ? fv->hoa : p->key.hoa); break;
	case 3: val_addr(v, fv ? fv->ha : p->key.ha); break;       /* ...HomeAgentAddress */
	case 4: val_int(v, fv ? fv->lifetime : 0); break;          /* ...TimeGranted */
	case 5: val_u32(v, MIB_GAUGE32, fv ? fa_visitor_remaining(fv, ctx->now_ms()) : 0); break;
	case 6: val_octets(v, &bits, 1); break;                    /* ...RegFlags */
	case 7: val_int(v, (int32_t)(uint32_t)(id & 0xffffffffu)); break;
	case 8: val_int(v, (int32_t)(uint32_t)(id >> 32)); break;
	case 9: val_truth(v, fv != NULL); break;                   /* ...RegIsAccepted */
	default: return false;
	}
	return true;
}

static const struct mib_table t_sec_assoc = { 3, 6, 5, max_addr_spi, seek_sa, col_sa };
static const struct mib_table t_sec_violation = { 2, 7, 4, max_addr, seek_violation, col_violation };
static const struct mib_table t_ma_adv_config = { 2, 9, 4, max_addr, seek_adv, col_adv };
static const struct mib_table t_fa_coa = { 2, 2, 4, max_addr, seek_coa, col_coa };
static const struct mib_table t_fa_visitor = { 1, 9, 4, max_addr, seek_visitor, col_visitor };
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
	S3(5, 2, 1, sc_fa_busy),                /* faIsBusy */
	S3(5, 2, 2, sc_fa_reg_required),        /* faRegistrationRequired */
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
