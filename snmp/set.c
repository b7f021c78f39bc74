/* SET of the MIP-MIB (see mib.h), independent of Net-SNMP.
 *
 * A request is taken as a whole, in Net-SNMP's phases:
 *   RESERVE1  mib_set_check(): each varbind on its own: is the object
 *             writable (notWritable), the instance possible (noCreation),
 *             the type, length and value acceptable (wrongType, wrongLength,
 *             wrongValue)?
 *   RESERVE2  mib_set_prepare(): all varbinds against the running state: a
 *             copy of the configuration (conf_copy()) is edited with the
 *             conf_edit_*() operations mipagentconfig uses, then validated
 *             as a whole (conf_check(), the XML round trip, the reload
 *             checks of agent discovery and the foreign agent); RowStatus
 *             transitions per RFC 2579 (inconsistentValue, inconsistentName).
 *             Nothing is applied.
 *   ACTION    mib_set_apply(): one reload_commit() of the edited copy (it
 *             writes the file atomically and swaps the configuration in),
 *             then the RowStatus rows held in notInService.
 *   UNDO      mib_set_undo(): reload_commit() of the configuration as it was.
 *   COMMIT / FREE   mib_txn_free().
 *
 * Conventions (repeated in README.md and mipagent(8)):
 *  - mipSecAssocTable (no RowStatus): a SET on a new (address, SPI) creates
 *    the SA; it must carry mipSecKey (16 octets); mipSecAlgorithmType md5(2)
 *    and mipSecReplayMethod timestamps(2) are the defaults.  The SA goes to
 *    the mobile node entry covering the address (a range shares its SAs),
 *    else the peer agent, else the foreign agent's visitor with that home
 *    address; an address that has none becomes a new single mobile node
 *    when it lies in the home network or a virtual network, else a new peer
 *    agent.  Setting mipSecAlgorithmType to other(1) deletes the SA (alone
 *    for its row); a peer or visitor left without SAs is removed, a mobile
 *    node's last SA is not (inconsistentValue).
 *  - Algorithms: md5(2) + mode other(1) is hmac-md5; md5 + prefixSuffix(2)
 *    is keyed-md5, or rfc2002-md5 kept as it is on an SA that has it (it
 *    reads the same; choose it in the file or with mipagentconfig).
 *  - SPIs 0-255 are refused with inconsistentName unless allow-reserved-spi
 *    is set (they could be created under that configuration).
 *  - mipSecKey reads as a zero-length string; a key is never logged.
 *  - maAdvConfigTable (maAdvStatus): active(1) is advertise="true";
 *    destroy(6) sets advertise="false" (no advertisements, solicited or
 *    not) and the row is gone; createAndGo(4) on the address of a configured
 *    interface that does not advertise brings it back.  notInService(2) and
 *    createAndWait(5) also set advertise="false", the subagent holds the row
 *    as notInService for MIB_ROW_HOLD_MS.  A new advertising interface needs
 *    the file and a restart: noCreation.
 *  - faCOATable (faCOAStatus): active rows are the care-of-address elements
 *    of the foreign agent's interfaces; createAndGo appends one to the
 *    interface whose prefix holds the address (or the only interface);
 *    destroy removes it; notInService / createAndWait hold a row that is not
 *    in the file.
 *  - Destroying a row that does not exist is noError (RFC 2579's table);
 *    where no row could ever exist it is noCreation. */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "adv.h"
#include "conf.h"
#include "conf_edit.h"
#include "conf_write.h"
#include "fa.h"
#include "mib.h"
#include "mib_int.h"

#define ROWS_MAX 32
#define SUMMARY_MAX 1024

/* ---------------------------------------------------------------- held rows */

struct mib_rows {
	struct {
		char name[IF_NAMESIZE];
		uint64_t since;
	} adv[ROWS_MAX];
	size_t n_adv;
	struct {
		uint32_t addr;          /* host order */
		uint64_t since;
	} coa[ROWS_MAX];
	size_t n_coa;
};

struct mib_rows *mib_rows_new(void)
{
	return calloc(1, sizeof(struct mib_rows));
}

void mib_rows_free(struct mib_rows *r)
{
	free(r);
}

static bool held(uint64_t since, uint64_t now)
{
	return now < since + MIB_ROW_HOLD_MS;
}

bool mib_rows_adv_held(const struct mib_rows *r, const char *ifname, uint64_t now_ms)
{
	for (size_t i = 0; r && i < r->n_adv; i++)
		if (!strcmp(r->adv[i].name, ifname))
			return held(r->adv[i].since, now_ms);
	return false;
}

bool mib_rows_coa_held(const struct mib_rows *r, uint32_t a, uint64_t now_ms)
{
	for (size_t i = 0; r && i < r->n_coa; i++)
		if (r->coa[i].addr == a)
			return held(r->coa[i].since, now_ms);
	return false;
}

bool mib_rows_coa_ge(const struct mib_rows *r, uint32_t a, uint64_t now_ms, uint32_t *out)
{
	bool have = false;

	for (size_t i = 0; r && i < r->n_coa; i++)
		if (r->coa[i].addr >= a && held(r->coa[i].since, now_ms) && (!have || r->coa[i].addr < *out)) {
			*out = r->coa[i].addr;
			have = true;
		}
	return have;
}

static void rows_prune(struct mib_rows *r, uint64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n_adv; i++)
		if (held(r->adv[i].since, now))
			r->adv[k++] = r->adv[i];
	r->n_adv = k;
	k = 0;
	for (size_t i = 0; i < r->n_coa; i++)
		if (held(r->coa[i].since, now))
			r->coa[k++] = r->coa[i];
	r->n_coa = k;
}

/* Hold (keeping an earlier time) or release a row; -1 when full. */
static int rows_adv(struct mib_rows *r, const char *name, bool hold, uint64_t now)
{
	for (size_t i = 0; i < r->n_adv; i++)
		if (!strcmp(r->adv[i].name, name)) {
			if (!hold)
				r->adv[i] = r->adv[--r->n_adv];
			return 0;
		}
	if (!hold)
		return 0;
	if (r->n_adv == ROWS_MAX)
		return -1;
	snprintf(r->adv[r->n_adv].name, sizeof(r->adv[0].name), "%s", name);
	r->adv[r->n_adv++].since = now;
	return 0;
}

static int rows_coa(struct mib_rows *r, uint32_t a, bool hold, uint64_t now)
{
	for (size_t i = 0; i < r->n_coa; i++)
		if (r->coa[i].addr == a) {
			if (!hold)
				r->coa[i] = r->coa[--r->n_coa];
			return 0;
		}
	if (!hold)
		return 0;
	if (r->n_coa == ROWS_MAX)
		return -1;
	r->coa[r->n_coa].addr = a;
	r->coa[r->n_coa++].since = now;
	return 0;
}

/* ---------------------------------------------------------------- objects */

const char *mib_err_name(enum mib_err e)
{
	static const char *const names[] = {
		[MIB_ERR_NONE] = "noError", [MIB_ERR_WRONG_TYPE] = "wrongType",
		[MIB_ERR_WRONG_LENGTH] = "wrongLength", [MIB_ERR_WRONG_VALUE] = "wrongValue",
		[MIB_ERR_NO_CREATION] = "noCreation", [MIB_ERR_NOT_WRITABLE] = "notWritable",
		[MIB_ERR_INCONSISTENT_NAME] = "inconsistentName",
		[MIB_ERR_INCONSISTENT_VALUE] = "inconsistentValue",
		[MIB_ERR_RESOURCE_UNAVAILABLE] = "resourceUnavailable",
		[MIB_ERR_COMMIT_FAILED] = "commitFailed", [MIB_ERR_UNDO_FAILED] = "undoFailed",
	};

	return (size_t)e < sizeof(names) / sizeof(names[0]) && names[e] ? names[e] : "genErr";
}

enum wobj {
	W_NONE,
	W_MIP_ENABLE,                   /* mipEnable.0 */
	W_FA_REG_REQUIRED,              /* faRegistrationRequired.0 */
	W_SA_TYPE, W_SA_MODE, W_SA_KEY, W_SA_REPLAY,    /* mipSecAssocEntry 3-6 */
	W_ADV_MAXREG, W_ADV_PLI, W_ADV_ADDR, W_ADV_MAXINT, W_ADV_MININT, W_ADV_LIFETIME,
	W_ADV_SOLONLY, W_ADV_STATUS,    /* maAdvConfigEntry 2-9 */
	W_COA_STATUS,                   /* faCOAEntry 2 */
};

enum wtable { T_SCALAR, T_SA, T_ADV, T_COA };

struct wtarget {
	enum wobj obj;
	enum wtable table;
	uint32_t addr;                  /* index address, host order */
	uint32_t spi;
};

/* The writable tables: entry OID under mipMIBObjects, accessible columns,
 * the first writable one and its object. */
static const struct {
	uint32_t sfx[4];
	size_t sfx_len;
	uint32_t col_max, wcol_min;
	size_t index_len;
	enum wobj first;
	enum wtable table;
} wtables[] = {
	{ { 2, 1, 1 }, 3, 6, 3, 5, W_SA_TYPE, T_SA },          /* mipSecAssocEntry */
	{ { 4, 2, 1, 1 }, 4, 9, 2, 4, W_ADV_MAXREG, T_ADV },   /* maAdvConfigEntry */
	{ { 5, 1, 1, 1 }, 4, 2, 2, 4, W_COA_STATUS, T_COA },   /* faCOAEntry */
};

/* Which writable object @name is (RFC 3416 §4.2.5's notWritable and noCreation). */
static enum mib_err resolve(const uint32_t *name, size_t len, struct wtarget *t)
{
	const uint32_t *r;
	size_t rl;

	memset(t, 0, sizeof(*t));
	if (len <= mib_objects_oid_len ||
	    memcmp(name, mib_objects_oid, mib_objects_oid_len * sizeof(*name)))
		return MIB_ERR_NOT_WRITABLE;
	r = name + mib_objects_oid_len;
	rl = len - mib_objects_oid_len;
	/* scalars: the object exists, only instance .0 can */
	if ((rl >= 2 && r[0] == 1 && r[1] == 2) || (rl >= 3 && r[0] == 5 && r[1] == 2 && r[2] == 2)) {
		size_t ol = r[0] == 1 ? 2 : 3;

		t->table = T_SCALAR;
		t->obj = r[0] == 1 ? W_MIP_ENABLE : W_FA_REG_REQUIRED;
		return rl == ol + 1 && r[ol] == 0 ? MIB_ERR_NONE : MIB_ERR_NO_CREATION;
	}
	for (size_t i = 0; i < sizeof(wtables) / sizeof(wtables[0]); i++) {
		size_t el = wtables[i].sfx_len;
		const uint32_t *x;
		uint32_t col;

		if (rl <= el || memcmp(r, wtables[i].sfx, el * sizeof(*r)))
			continue;
		col = r[el];
		if (col < wtables[i].wcol_min || col > wtables[i].col_max)
			return MIB_ERR_NOT_WRITABLE;
		t->table = wtables[i].table;
		t->obj = (enum wobj)(wtables[i].first + (col - wtables[i].wcol_min));
		if (rl - el - 1 != wtables[i].index_len)
			return MIB_ERR_NO_CREATION;
		x = r + el + 1;
		for (size_t k = 0; k < 4; k++)
			if (x[k] > 255)
				return MIB_ERR_NO_CREATION;
		t->addr = x[0] << 24 | x[1] << 16 | x[2] << 8 | x[3];
		if (wtables[i].index_len == 5)
			t->spi = x[4];
		return MIB_ERR_NONE;
	}
	return MIB_ERR_NOT_WRITABLE;
}

static enum mib_err want_int(const struct mib_setvb *vb, int32_t min, int32_t max)
{
	if (vb->type != MIB_INTEGER)
		return MIB_ERR_WRONG_TYPE;
	return vb->i < min || vb->i > max ? MIB_ERR_WRONG_VALUE : MIB_ERR_NONE;
}

enum mib_err mib_set_check(const struct mib_setvb *vb)
{
	struct wtarget t;
	enum mib_err e = resolve(vb->name, vb->len, &t);
	uint32_t a;

	if (e != MIB_ERR_NONE)
		return e;
	switch (t.obj) {
	case W_MIP_ENABLE:
	case W_FA_REG_REQUIRED:
	case W_SA_TYPE:                 /* other(1): delete (see above) */
	case W_SA_MODE:
	case W_ADV_PLI:
	case W_ADV_SOLONLY:
		return want_int(vb, 1, 2);
	case W_SA_REPLAY:               /* other(1): no such method here */
		return want_int(vb, 2, 3);
	case W_SA_KEY:
		if (vb->type != MIB_OCTETS)
			return MIB_ERR_WRONG_TYPE;
		return vb->olen == 16 ? MIB_ERR_NONE : MIB_ERR_WRONG_LENGTH;  /* SIZE(16) */
	case W_ADV_MAXREG:
		return want_int(vb, 1, 65535);      /* 0: no registration could be accepted */
	case W_ADV_MAXINT:
		return want_int(vb, 4, 1800);
	case W_ADV_MININT:
		return want_int(vb, 3, 1800);
	case W_ADV_LIFETIME:
		return want_int(vb, 4, 9000);
	case W_ADV_ADDR:
		if (vb->type != MIB_IPADDRESS)
			return MIB_ERR_WRONG_TYPE;
		if (vb->olen != 4)
			return MIB_ERR_WRONG_LENGTH;
		a = (uint32_t)vb->octets[0] << 24 | (uint32_t)vb->octets[1] << 16 |
		    (uint32_t)vb->octets[2] << 8 | vb->octets[3];
		return a == 0xe0000001 || a == 0xffffffff ? MIB_ERR_NONE : MIB_ERR_WRONG_VALUE;
	case W_ADV_STATUS:
	case W_COA_STATUS:
		e = want_int(vb, 1, 6);
		return e == MIB_ERR_NONE && vb->i == 3 ? MIB_ERR_WRONG_VALUE : e;  /* notReady: read only */
	case W_NONE:
		break;
	}
	return MIB_ERR_NOT_WRITABLE;
}

/* ---------------------------------------------------------------- transactions */

struct mib_txn {
	const struct conf *base;        /* the running configuration it was prepared against */
	struct conf *edited;            /* NULL: the configuration does not change */
	struct conf *undo;              /* a copy of @base, for UNDO */
	struct mib_rows rows_new, rows_old;
	bool have_rows, applied;
	char summary[SUMMARY_MAX];
};

void mib_txn_free(struct mib_txn *t)
{
	if (!t)
		return;
	conf_free(t->edited);
	conf_free(t->undo);
	free(t);
}

const char *mib_txn_summary(const struct mib_txn *t)
{
	return t && t->summary[0] ? t->summary : "no change";
}

static void say(struct mib_txn *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct mib_txn *t, const char *fmt, ...)
{
	size_t off = strlen(t->summary);
	va_list ap;

	if (off + 3 >= sizeof(t->summary))
		return;
	if (off) {
		memcpy(t->summary + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(t->summary + off, sizeof(t->summary) - off, fmt, ap);
	va_end(ap);
}

/* The state prepare() works on. */
struct prep {
	const struct mib_ctx *ctx;
	const struct mib_setvb *vbs;
	size_t n;
	struct wtarget *tg;
	bool *done;
	struct mib_txn *t;
	struct conf *c;                 /* the edited copy */
	bool changed;
	size_t first_edit;              /* the first varbind that edited the copy (SIZE_MAX: none) */
	size_t bad;
	char *why;
	size_t whylen;
};

static enum mib_err fail(struct prep *p, size_t vb, enum mib_err e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum mib_err fail(struct prep *p, size_t vb, enum mib_err e, const char *fmt, ...)
{
	va_list ap;

	p->bad = vb;
	if (p->why && p->whylen) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
	return e;
}

static void edited(struct prep *p, size_t vb)
{
	p->changed = true;
	if (p->first_edit == SIZE_MAX || vb < p->first_edit)
		p->first_edit = vb;
}

static const char *ntoa_h(uint32_t a, char *buf)
{
	struct in_addr x = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &x, buf, INET_ADDRSTRLEN);
}

static uint32_t hostof(struct in_addr a)
{
	return ntohl(a.s_addr);
}

/* Varbind indexes of one row: [obj] = the last varbind setting it, SIZE_MAX none. */
struct rowvbs {
	size_t first;
	size_t at[W_COA_STATUS + 1];
};

/* Collect the varbinds of the row of varbind @i (same table and index) and
 * mark them done. */
static void row_collect(struct prep *p, size_t i, struct rowvbs *rv)
{
	rv->first = i;
	for (size_t k = 0; k <= W_COA_STATUS; k++)
		rv->at[k] = SIZE_MAX;
	for (size_t j = i; j < p->n; j++) {
		const struct wtarget *a = &p->tg[i], *b = &p->tg[j];

		if (p->done[j] || a->table != b->table || a->addr != b->addr || a->spi != b->spi)
			continue;
		if (a->table == T_SCALAR && a->obj != b->obj)
			continue;
		rv->at[b->obj] = j;
		p->done[j] = true;
	}
}

/* ---- mipSecAssocTable ---- */

enum sa_kind { SA_NONE, SA_NODE, SA_PEER, SA_VISITOR };

struct sa_home {
	enum sa_kind kind;
	size_t idx;
	struct conf_sa_list l;
};

/* The SA lists of address @a in @c, in conf_edit_sa_list()'s order (node,
 * peer, visitor), by linear search: the copy is not re-sorted between the
 * rows of one request.  @spi found: *@sa and its list; else the first list. */
static void sa_find(struct conf *c, uint32_t a, uint32_t spi, struct sa_home *h, struct conf_sa **sa)
{
	struct sa_home cand[3];
	size_t nc = 0;
	char s[INET_ADDRSTRLEN];

	memset(h, 0, sizeof(*h));
	*sa = NULL;
	for (size_t i = 0; c->ha.enabled && i < c->ha.n_nodes; i++) {
		struct conf_node *n = &c->ha.nodes[i];

		if (hostof(n->first) <= a && a <= hostof(n->last)) {
			cand[nc] = (struct sa_home){ .kind = SA_NODE, .idx = i };
			cand[nc].l.sas = &n->sas;
			cand[nc].l.n = &n->n_sas;
			if (n->first.s_addr == n->last.s_addr)
				snprintf(cand[nc].l.desc, sizeof(cand[nc].l.desc), "mobile-node %s", ntoa_h(a, s));
			else
				snprintf(cand[nc].l.desc, sizeof(cand[nc].l.desc), "mobile-node range at %s",
					 ntoa_h(a, s));
			nc++;
			break;
		}
	}
	for (size_t i = 0; i < c->n_peers; i++)
		if (hostof(c->peers[i].addr) == a) {
			cand[nc] = (struct sa_home){ .kind = SA_PEER, .idx = i };
			cand[nc].l.sas = &c->peers[i].sas;
			cand[nc].l.n = &c->peers[i].n_sas;
			snprintf(cand[nc].l.desc, sizeof(cand[nc].l.desc), "peer %s", ntoa_h(a, s));
			nc++;
			break;
		}
	for (size_t i = 0; c->fa.enabled && a && i < c->fa.n_visitors; i++)
		if (hostof(c->fa.visitors[i].addr) == a) {
			cand[nc] = (struct sa_home){ .kind = SA_VISITOR, .idx = i };
			cand[nc].l.sas = &c->fa.visitors[i].sas;
			cand[nc].l.n = &c->fa.visitors[i].n_sas;
			snprintf(cand[nc].l.desc, sizeof(cand[nc].l.desc), "visitor %s", ntoa_h(a, s));
			nc++;
			break;
		}
	for (size_t k = 0; k < nc; k++) {
		struct conf_sa *x = conf_edit_sa_find(&cand[k].l, spi);

		if (x) {
			*h = cand[k];
			*sa = x;
			return;
		}
	}
	if (nc)
		*h = cand[0];
}

static bool in_prefix(const struct conf_prefix *pf, uint32_t a)
{
	uint32_t mask = pf->len ? 0xffffffffu << (32 - pf->len) : 0;

	return (a & mask) == (hostof(pf->addr) & mask);
}

/* A new holder of SAs for @a: a single mobile node in the home agent's
 * networks, else a peer agent. */
static int sa_new_home(struct prep *p, uint32_t a, size_t vb, struct sa_home *h, enum mib_err *e)
{
	struct conf *c = p->c;
	struct in_addr addr = { .s_addr = htonl(a) };
	bool home = false;
	char why[160], s[INET_ADDRSTRLEN];

	if (c->ha.enabled) {
		home = in_prefix(&c->ha.home_network, a);
		for (size_t i = 0; !home && i < c->ha.n_virtual_networks; i++)
			home = in_prefix(&c->ha.virtual_networks[i], a);
	}
	if (home) {
		if (!conf_edit_node_add(c, addr, addr, why, sizeof(why))) {
			*e = fail(p, vb, MIB_ERR_INCONSISTENT_VALUE, "%s", why);
			return -1;
		}
		say(p->t, "mobile-node %s added", ntoa_h(a, s));
	} else {
		struct conf_peer *v = realloc(c->peers, (c->n_peers + 1) * sizeof(*v));

		if (!v) {
			*e = fail(p, vb, MIB_ERR_RESOURCE_UNAVAILABLE, "out of memory");
			return -1;
		}
		c->peers = v;
		memset(&v[c->n_peers], 0, sizeof(*v));
		v[c->n_peers++].addr = addr;
		say(p->t, "peer %s added", ntoa_h(a, s));
	}
	{
		struct conf_sa *none;

		sa_find(c, a, 0, h, &none);
	}
	return h->kind == SA_NONE ? -1 : 0;
}

/* Remove the peer or visitor @h (left without SAs). */
static void sa_drop_home(struct prep *p, const struct sa_home *h)
{
	struct conf *c = p->c;
	char s[INET_ADDRSTRLEN];

	if (h->kind == SA_PEER) {
		struct conf_peer *pe = &c->peers[h->idx];

		say(p->t, "peer %s removed (no security association left)", ntoa_h(hostof(pe->addr), s));
		free(pe->sas);
		memmove(pe, pe + 1, (c->n_peers - h->idx - 1) * sizeof(*pe));
		c->n_peers--;
	} else if (h->kind == SA_VISITOR) {
		struct conf_visitor *v = &c->fa.visitors[h->idx];

		say(p->t, "visitor %s removed (no security association left)", ntoa_h(hostof(v->addr), s));
		free(v->sas);
		free(v->nai);
		memmove(v, v + 1, (c->fa.n_visitors - h->idx - 1) * sizeof(*v));
		c->fa.n_visitors--;
	}
}

static enum mib_err sa_setting(struct prep *p, struct conf_sa *sa, const char *name,
			       const char *value, size_t vb)
{
	char why[160];

	if (conf_edit_sa_set(sa, name, value, why, sizeof(why)) < 0)
		return fail(p, vb, MIB_ERR_WRONG_VALUE, "%s", why);
	return MIB_ERR_NONE;
}

static enum mib_err prep_sa(struct prep *p, const struct rowvbs *rv)
{
	const struct wtarget *t = &p->tg[rv->first];
	size_t vt = rv->at[W_SA_TYPE], vm = rv->at[W_SA_MODE], vk = rv->at[W_SA_KEY];
	size_t vr = rv->at[W_SA_REPLAY];
	struct sa_home h;
	struct conf_sa *sa;
	enum mib_err e = MIB_ERR_NONE;
	char s[INET_ADDRSTRLEN], why[160];
	bool created = false;

	sa_find(p->c, t->addr, t->spi, &h, &sa);
	ntoa_h(t->addr, s);
	if (vt != SIZE_MAX && p->vbs[vt].i == 1) {      /* other(1): delete */
		size_t other = vm != SIZE_MAX ? vm : vk != SIZE_MAX ? vk : vr;

		if (other != SIZE_MAX)
			return fail(p, other, MIB_ERR_INCONSISTENT_VALUE, "mipSecAlgorithmType other(1) "
				    "deletes the SA: no other column of it in the same request");
		if (!sa)
			return fail(p, vt, MIB_ERR_INCONSISTENT_VALUE, "%s has no SA with SPI %u to delete",
				    s, t->spi);
		if (h.kind == SA_NODE && *h.l.n == 1)
			return fail(p, vt, MIB_ERR_INCONSISTENT_VALUE, "SPI %u is the last SA of %s: "
				    "remove the mobile node instead (mipagentconfig)", t->spi, h.l.desc);
		if (conf_edit_sa_delete(&h.l, t->spi, why, sizeof(why)) < 0)
			return fail(p, vt, MIB_ERR_INCONSISTENT_VALUE, "%s", why);
		say(p->t, "SA %s SPI %u deleted", s, t->spi);
		if (*h.l.n == 0)
			sa_drop_home(p, &h);
		edited(p, vt);
		return MIB_ERR_NONE;
	}
	if (!sa) {
		if (t->spi < 256 && !p->c->allow_reserved_spi)
			return fail(p, rv->first, MIB_ERR_INCONSISTENT_NAME, "SPI %u is reserved (0-255; "
				    "allow-reserved-spi is off)", t->spi);
		if (vk == SIZE_MAX)
			return fail(p, rv->first, MIB_ERR_INCONSISTENT_VALUE, "a new SA (%s SPI %u) needs "
				    "mipSecKey in the same request", s, t->spi);
		if (h.kind == SA_NONE && sa_new_home(p, t->addr, rv->first, &h, &e) < 0)
			return e != MIB_ERR_NONE ? e : fail(p, rv->first, MIB_ERR_INCONSISTENT_VALUE,
							     "cannot add %s", s);
		sa = conf_edit_sa_add(&h.l, t->spi, why, sizeof(why));
		if (!sa)
			return fail(p, rv->first, MIB_ERR_RESOURCE_UNAVAILABLE, "%s", why);
		created = true;
	}
	if (vt != SIZE_MAX || vm != SIZE_MAX) {
		int mode = vm != SIZE_MAX ? p->vbs[vm].i : created ? 1 :
			   sa->alg == MIP_AUTH_HMAC_MD5 ? 1 : 2;
		enum mip_auth_alg alg = mode == 1 ? MIP_AUTH_HMAC_MD5 :
					sa->alg == MIP_AUTH_KEYED_MD5_RFC2002 ? MIP_AUTH_KEYED_MD5_RFC2002 :
					MIP_AUTH_KEYED_MD5;

		e = sa_setting(p, sa, "algorithm", mip_auth_alg_name(alg), vm != SIZE_MAX ? vm : vt);
		if (e != MIB_ERR_NONE)
			return e;
	}
	if (vr != SIZE_MAX) {
		e = sa_setting(p, sa, "replay-method", p->vbs[vr].i == 3 ? "nonces" : "timestamps", vr);
		if (e != MIB_ERR_NONE)
			return e;
	}
	if (vk != SIZE_MAX) {
		char hex[2 * 16 + 1];
		static const char digits[] = "0123456789abcdef";

		for (size_t i = 0; i < 16; i++) {
			hex[2 * i] = digits[p->vbs[vk].octets[i] >> 4];
			hex[2 * i + 1] = digits[p->vbs[vk].octets[i] & 15];
		}
		hex[32] = '\0';
		e = sa_setting(p, sa, "key", hex, vk);
		explicit_bzero(hex, sizeof(hex));
		if (e != MIB_ERR_NONE)
			return e;
	}
	say(p->t, "SA %s SPI %u %s (%s, %s%s)", s, t->spi, created ? "created" : "changed",
	    mip_auth_alg_name(sa->alg), mip_replay_name(sa->replay),
	    vk != SIZE_MAX ? ", key set" : "");
	edited(p, rv->first);
	return MIB_ERR_NONE;
}

/* ---- RowStatus (RFC 2579) ---- */

enum { RS_ACTIVE = 1, RS_NIS = 2, RS_GO = 4, RS_WAIT = 5, RS_DESTROY = 6 };
enum rstate { ST_ABSENT, ST_NIS, ST_ACTIVE };

/* The new state of a row in @st for RowStatus value @rs (0: not set, other
 * columns only), or an error (RFC 2579's state table). */
static enum mib_err rs_next(enum rstate st, int rs, bool others, enum rstate *out)
{
	*out = st;
	switch (rs) {
	case 0:
		return st == ST_ABSENT && others ? MIB_ERR_INCONSISTENT_NAME : MIB_ERR_NONE;
	case RS_GO:
	case RS_WAIT:
		if (st != ST_ABSENT)
			return MIB_ERR_INCONSISTENT_VALUE;
		*out = rs == RS_GO ? ST_ACTIVE : ST_NIS;
		return MIB_ERR_NONE;
	case RS_ACTIVE:
	case RS_NIS:
		if (st == ST_ABSENT)
			return MIB_ERR_INCONSISTENT_VALUE;
		*out = rs == RS_ACTIVE ? ST_ACTIVE : ST_NIS;
		return MIB_ERR_NONE;
	case RS_DESTROY:
		*out = ST_ABSENT;
		return MIB_ERR_NONE;
	default:
		return MIB_ERR_WRONG_VALUE;
	}
}

static const char *rs_name(int rs)
{
	static const char *const n[] = { "-", "active", "notInService", "notReady", "createAndGo",
					 "createAndWait", "destroy" };

	return rs >= 0 && rs <= 6 ? n[rs] : "?";
}

/* ---- maAdvConfigTable ---- */

/* Apply the row's columns to @i; true if anything changed. */
static bool adv_edit(struct conf_adv_if *i, const struct prep *p, const struct rowvbs *rv, bool advertise)
{
	const struct mib_setvb *v = p->vbs;
	struct conf_adv_if was = *i;

	i->advertise = advertise;
	if (rv->at[W_ADV_MAXREG] != SIZE_MAX)
		i->max_lifetime = (unsigned)v[rv->at[W_ADV_MAXREG]].i;
	if (rv->at[W_ADV_PLI] != SIZE_MAX)
		i->prefix_length_inclusion = v[rv->at[W_ADV_PLI]].i == 1;
	if (rv->at[W_ADV_ADDR] != SIZE_MAX)
		memcpy(&i->adv_address.s_addr, v[rv->at[W_ADV_ADDR]].octets, 4);
	if (rv->at[W_ADV_MAXINT] != SIZE_MAX)
		i->max_interval = (unsigned)v[rv->at[W_ADV_MAXINT]].i;
	if (rv->at[W_ADV_MININT] != SIZE_MAX)
		i->min_interval = (unsigned)v[rv->at[W_ADV_MININT]].i;
	if (rv->at[W_ADV_LIFETIME] != SIZE_MAX)
		i->adv_lifetime = (unsigned)v[rv->at[W_ADV_LIFETIME]].i;
	if (rv->at[W_ADV_SOLONLY] != SIZE_MAX)
		i->solicitation_only = v[rv->at[W_ADV_SOLONLY]].i == 1;
	return was.advertise != i->advertise || was.max_lifetime != i->max_lifetime ||
	       was.prefix_length_inclusion != i->prefix_length_inclusion ||
	       was.adv_address.s_addr != i->adv_address.s_addr || was.max_interval != i->max_interval ||
	       was.min_interval != i->min_interval || was.adv_lifetime != i->adv_lifetime ||
	       was.solicitation_only != i->solicitation_only;
}

static enum mib_err prep_adv(struct prep *p, const struct rowvbs *rv)
{
	const struct wtarget *t = &p->tg[rv->first];
	const struct mib_ctx *ctx = p->ctx;
	size_t vs = rv->at[W_ADV_STATUS];
	int rs = vs != SIZE_MAX ? p->vbs[vs].i : 0;
	bool others = false, changed = false;
	const struct conf_adv_if *run;
	struct mib_adv_if ai;
	enum rstate st, nst;
	enum mib_err e;
	char s[INET_ADDRSTRLEN];
	uint64_t now = ctx->now_ms();

	for (size_t k = W_ADV_MAXREG; k < W_ADV_STATUS; k++)
		others |= rv->at[k] != SIZE_MAX;
	ntoa_h(t->addr, s);
	if (!mib_adv_find(ctx, (struct in_addr){ .s_addr = htonl(t->addr) }, false, &ai) ||
	    !ctx->conf || !(run = mib_conf_adv_if(ctx->conf, ai.name)))
		return fail(p, rv->first, MIB_ERR_NO_CREATION, "%s is not the address of an advertising "
			    "interface (new ones are configured in the file)", s);
	st = run->advertise ? ST_ACTIVE : mib_rows_adv_held(&p->t->rows_new, ai.name, now) ? ST_NIS :
	     ST_ABSENT;
	e = rs_next(st, rs, others, &nst);
	if (e != MIB_ERR_NONE)
		return fail(p, vs != SIZE_MAX ? vs : rv->first, e, "maAdvStatus %s on %s row of %s (%s)",
			    rs_name(rs), st == ST_ABSENT ? "a missing" : st == ST_NIS ? "a notInService" :
			    "an active", ai.name, s);
	if (st == ST_ABSENT && nst == ST_ABSENT)
		return MIB_ERR_NONE;    /* destroy of a row that is not there */
	/* the foreign agent's entry and the home agent's (one advertisement) */
	if (p->c->fa.enabled)
		for (size_t i = 0; i < p->c->fa.n_ifaces; i++)
			if (!strcmp(p->c->fa.ifaces[i].name, ai.name))
				changed |= adv_edit(&p->c->fa.ifaces[i], p, rv, nst == ST_ACTIVE);
	if (p->c->ha.enabled && p->c->ha.adv && !strcmp(p->c->ha.adv->name, ai.name))
		changed |= adv_edit(p->c->ha.adv, p, rv, nst == ST_ACTIVE);
	if (rows_adv(&p->t->rows_new, ai.name, nst == ST_NIS, now) < 0)
		return fail(p, rv->first, MIB_ERR_RESOURCE_UNAVAILABLE, "too many rows held notInService");
	p->t->have_rows = true;
	if (rs)
		say(p->t, "advertisements on %s (%s): maAdvStatus %s", ai.name, s, rs_name(rs));
	if (others)
		say(p->t, "advertisement settings of %s (%s) changed", ai.name, s);
	if (changed)
		edited(p, rv->first);
	return MIB_ERR_NONE;
}

/* ---- faCOATable ---- */

/* The foreign agent interface that is to offer care-of address @a: the
 * one whose prefix holds it, else the only one. */
static struct conf_adv_if *coa_iface(struct prep *p, uint32_t a)
{
	struct conf_foreign_agent *fa = &p->c->fa;
	struct conf_adv_if *found = NULL;
	struct mib_adv_if ai;
	bool ok = mib_adv_find(p->ctx, (struct in_addr){ 0 }, false, &ai) ||
		  mib_adv_find(p->ctx, (struct in_addr){ 0 }, true, &ai);
	size_t hits = 0;

	for (; ok; ok = mib_adv_find(p->ctx, ai.addr, true, &ai)) {
		struct conf_prefix pf = { .addr = ai.addr, .len = ai.plen };

		for (size_t i = 0; i < fa->n_ifaces; i++)
			if (!strcmp(fa->ifaces[i].name, ai.name) && in_prefix(&pf, a)) {
				found = &fa->ifaces[i];
				hits++;
			}
	}
	if (hits == 1)
		return found;
	return fa->n_ifaces == 1 ? &fa->ifaces[0] : NULL;
}

static enum mib_err prep_coa(struct prep *p, const struct rowvbs *rv)
{
	const struct wtarget *t = &p->tg[rv->first];
	size_t vs = rv->at[W_COA_STATUS];
	int rs = p->vbs[vs].i;
	struct conf_foreign_agent *fa = &p->c->fa;
	struct conf_adv_if *ifc = NULL;
	size_t at = 0;
	enum rstate st, nst;
	enum mib_err e;
	char s[INET_ADDRSTRLEN];
	uint64_t now = p->ctx->now_ms();
	uint32_t a = t->addr;

	ntoa_h(a, s);
	if (a >> 24 == 0 || a >> 24 == 127 || a >= 0xe0000000u)
		return fail(p, vs, MIB_ERR_NO_CREATION, "%s cannot be a care-of address", s);
	for (size_t i = 0; fa->enabled && !ifc && i < fa->n_ifaces; i++)
		for (size_t j = 0; j < fa->ifaces[i].n_coas; j++)
			if (hostof(fa->ifaces[i].coas[j].addr) == a) {
				ifc = &fa->ifaces[i];
				at = j;
				break;
			}
	st = ifc ? ST_ACTIVE : mib_rows_coa_held(&p->t->rows_new, a, now) ? ST_NIS : ST_ABSENT;
	e = rs_next(st, rs, false, &nst);
	if (e == MIB_ERR_NONE && !fa->enabled && nst != ST_ABSENT)
		e = MIB_ERR_INCONSISTENT_NAME;
	if (e != MIB_ERR_NONE)
		return fail(p, vs, e, "faCOAStatus %s on %s row %s%s", rs_name(rs),
			    st == ST_ABSENT ? "a missing" : st == ST_NIS ? "a notInService" : "an active", s,
			    fa->enabled ? "" : " (no foreign agent)");
	if (st == nst && st != ST_NIS)
		return MIB_ERR_NONE;    /* active on active, destroy of a missing row */
	if (st == ST_ACTIVE && nst != ST_ACTIVE) {      /* out of the file */
		memmove(&ifc->coas[at], &ifc->coas[at + 1], (ifc->n_coas - at - 1) * sizeof(*ifc->coas));
		ifc->n_coas--;
		say(p->t, "care-of address %s removed from %s", s, ifc->name);
		edited(p, vs);
	} else if (st != ST_ACTIVE && nst == ST_ACTIVE) {
		struct conf_coa *v;

		ifc = coa_iface(p, a);
		if (!ifc)
			return fail(p, vs, MIB_ERR_INCONSISTENT_VALUE, "which foreign agent interface is to "
				    "offer %s? (none has it in its prefix; configure it in the file)", s);
		v = realloc(ifc->coas, (ifc->n_coas + 1) * sizeof(*v));
		if (!v)
			return fail(p, vs, MIB_ERR_RESOURCE_UNAVAILABLE, "out of memory");
		ifc->coas = v;
		memset(&v[ifc->n_coas], 0, sizeof(*v));
		v[ifc->n_coas++].addr.s_addr = htonl(a);
		say(p->t, "care-of address %s offered on %s", s, ifc->name);
		edited(p, vs);
	}
	if (rows_coa(&p->t->rows_new, a, nst == ST_NIS, now) < 0)
		return fail(p, vs, MIB_ERR_RESOURCE_UNAVAILABLE, "too many rows held notInService");
	p->t->have_rows = true;
	if (nst == ST_NIS)
		say(p->t, "care-of address %s: faCOAStatus %s", s, rs_name(rs));
	return MIB_ERR_NONE;
}

/* ---- scalars ---- */

static enum mib_err prep_scalar(struct prep *p, const struct rowvbs *rv)
{
	size_t vb = rv->first;
	bool on = p->vbs[vb].i == 1;

	if (p->tg[vb].obj == W_MIP_ENABLE) {
		if (p->c->mip_enable != on) {
			p->c->mip_enable = on;
			say(p->t, "mipEnable %s: registrations and advertisements %s", on ? "enabled" :
			    "disabled", on ? "resume" : "stop");
			edited(p, vb);
		}
		return MIB_ERR_NONE;
	}
	if (!p->c->fa.enabled)
		return fail(p, vb, MIB_ERR_INCONSISTENT_VALUE, "no foreign agent is configured");
	if (p->c->fa.registration_required != on) {
		p->c->fa.registration_required = on;
		say(p->t, "faRegistrationRequired %s", on ? "true" : "false");
		edited(p, vb);
	}
	return MIB_ERR_NONE;
}

/* ---- the whole request ---- */

/* The first problem of @text without its "FILE:LINE: " prefix. */
static void first_problem(const char *text, const char *path, char *why, size_t whylen)
{
	const char *s = text ? text : "", *end;
	size_t plen = path ? strlen(path) : 0;

	if (plen && !strncmp(s, path, plen) && s[plen] == ':') {
		s += plen + 1;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == ':')
			s++;
		while (*s == ' ')
			s++;
	}
	end = strchr(s, '\n');
	snprintf(why, whylen, "%.*s", (int)(end ? end - s : (ptrdiff_t)strlen(s)), s);
}

/* The edited copy as a whole: what reload_commit() will check. */
static enum mib_err validate(struct prep *p)
{
	char *msgs = NULL, *xml = NULL;
	size_t msglen = 0, xlen = 0;
	FILE *m = open_memstream(&msgs, &msglen);
	struct conf *c2 = NULL;
	bool bad;

	if (!m)
		return fail(p, p->first_edit, MIB_ERR_RESOURCE_UNAVAILABLE, "out of memory");
	bad = conf_check(p->c, m) != 0;
	if (!bad) {
		xml = conf_write_xml(p->c, &xlen);
		c2 = xml ? conf_parse_memory(p->c->path, xml, xlen, m) : NULL;
		bad = !c2 || conf_check(c2, m) != 0;
	}
	if (!bad && p->ctx->adv)
		bad = adv_reload_check(p->ctx->conf, p->c, m, p->ctx->adv) < 0;
	if (!bad && p->ctx->fa)
		bad = fa_reload_check(p->ctx->conf, p->c, m, p->ctx->fa) < 0;
	fclose(m);
	conf_free(c2);
	conf_write_free(xml, xlen);
	if (bad) {
		char why[256];

		first_problem(msgs, p->c->path, why, sizeof(why));
		free(msgs);
		return fail(p, p->first_edit, MIB_ERR_INCONSISTENT_VALUE, "%s",
			    why[0] ? why : "the configuration would not be valid");
	}
	free(msgs);
	return MIB_ERR_NONE;
}

enum mib_err mib_set_prepare(const struct mib_ctx *ctx, const struct mib_setvb *vbs, size_t n,
			     struct mib_txn **out, size_t *bad, char *why, size_t whylen)
{
	struct prep p = {
		.ctx = ctx, .vbs = vbs, .n = n, .first_edit = SIZE_MAX, .why = why,
		.whylen = whylen,
	};
	enum mib_err e = MIB_ERR_NONE;

	*out = NULL;
	*bad = 0;
	if (why && whylen)
		why[0] = '\0';
	if (!ctx->conf)
		return fail(&p, 0, MIB_ERR_RESOURCE_UNAVAILABLE, "no configuration");
	p.tg = calloc(n ? n : 1, sizeof(*p.tg));
	p.done = calloc(n ? n : 1, sizeof(*p.done));
	p.t = calloc(1, sizeof(*p.t));
	if (!p.tg || !p.done || !p.t) {
		e = fail(&p, 0, MIB_ERR_RESOURCE_UNAVAILABLE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && e == MIB_ERR_NONE; i++) {
		e = resolve(vbs[i].name, vbs[i].len, &p.tg[i]);
		if (e == MIB_ERR_NONE)
			e = mib_set_check(&vbs[i]);
		if (e != MIB_ERR_NONE)
			fail(&p, i, e, "%s", mib_err_name(e));
	}
	if (e != MIB_ERR_NONE)
		goto out;
	p.t->base = ctx->conf;
	if (ctx->rows)
		p.t->rows_new = *ctx->rows;
	rows_prune(&p.t->rows_new, ctx->now_ms());
	p.c = conf_copy(ctx->conf);
	if (!p.c) {
		e = fail(&p, 0, MIB_ERR_RESOURCE_UNAVAILABLE, "cannot copy the running configuration");
		goto out;
	}
	for (size_t i = 0; i < n && e == MIB_ERR_NONE; i++) {
		struct rowvbs rv;

		if (p.done[i])
			continue;
		row_collect(&p, i, &rv);
		switch (p.tg[i].table) {
		case T_SCALAR: e = prep_scalar(&p, &rv); break;
		case T_SA: e = prep_sa(&p, &rv); break;
		case T_ADV: e = prep_adv(&p, &rv); break;
		case T_COA: e = prep_coa(&p, &rv); break;
		}
	}
	if (e == MIB_ERR_NONE && p.changed)
		e = validate(&p);
	if (e == MIB_ERR_NONE && p.changed) {
		p.t->undo = conf_copy(ctx->conf);
		if (!p.t->undo)
			e = fail(&p, p.first_edit, MIB_ERR_RESOURCE_UNAVAILABLE,
				 "cannot copy the running configuration");
	}
	if (e == MIB_ERR_NONE && p.changed) {
		p.t->edited = p.c;
		p.c = NULL;
	}
out:
	conf_free(p.c);
	free(p.tg);
	free(p.done);
	if (e != MIB_ERR_NONE) {
		*bad = p.bad < n ? p.bad : 0;
		mib_txn_free(p.t);
		return e;
	}
	*out = p.t;
	return MIB_ERR_NONE;
}

enum mib_err mib_set_apply(struct mib_txn *t, const struct conf *running, struct mib_rows *rows,
			   mib_commit_fn commit, void *arg, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = '\0';
	if (running != t->base) {
		if (why)
			snprintf(why, whylen, "the configuration changed while the set was in progress");
		return MIB_ERR_COMMIT_FAILED;
	}
	if (t->edited) {
		char *msgs = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&msgs, &len);
		struct conf *c = t->edited;
		int rc;

		t->edited = NULL;
		if (!m) {
			conf_free(c);
			return MIB_ERR_COMMIT_FAILED;
		}
		rc = commit(arg, c, m);
		fclose(m);
		if (rc < 0) {
			if (why)
				first_problem(msgs, NULL, why, whylen);
			free(msgs);
			return MIB_ERR_COMMIT_FAILED;
		}
		free(msgs);
	}
	if (rows && t->have_rows) {
		t->rows_old = *rows;
		*rows = t->rows_new;
	}
	t->applied = true;
	return MIB_ERR_NONE;
}

enum mib_err mib_set_undo(struct mib_txn *t, struct mib_rows *rows, mib_commit_fn commit, void *arg)
{
	enum mib_err e = MIB_ERR_NONE;

	if (!t || !t->applied)
		return MIB_ERR_NONE;
	if (t->undo) {
		char *msgs = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&msgs, &len);
		struct conf *c = t->undo;

		t->undo = NULL;
		if (!m) {
			conf_free(c);
			e = MIB_ERR_UNDO_FAILED;
		} else {
			if (commit(arg, c, m) < 0)
				e = MIB_ERR_UNDO_FAILED;
			fclose(m);
			free(msgs);
		}
	}
	if (rows && t->have_rows)
		*rows = t->rows_old;
	t->applied = false;
	return e;
}
