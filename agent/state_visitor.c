/* The foreign agent's visitors in the durable state (see state.h): one row
 * per visitor, written when the reply accepting it is queued (so it is
 * committed before that reply leaves), replaced on renewal, deleted when
 * it goes; read back on start with the time spent down subtracted. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include "fa.h"
#include "log.h"
#include "notify.h"
#include "state_int.h"
#include "wire.h"

/* Addresses in host order as integers; mac NULL when unknown; expires_ms
 * on the wall clock (INT64_MAX: infinite lifetime). */
const char st_visitor_schema[] =
	"CREATE TABLE IF NOT EXISTS visitor ("
	" hoa INTEGER NOT NULL, ha INTEGER NOT NULL, ifname TEXT NOT NULL,"
	" coa INTEGER NOT NULL, src INTEGER NOT NULL, sport INTEGER NOT NULL, mac INTEGER,"
	" flags INTEGER NOT NULL, edeliv INTEGER NOT NULL, local INTEGER NOT NULL,"
	" id INTEGER NOT NULL, requested INTEGER NOT NULL, lifetime INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL,"
	" PRIMARY KEY (hoa, ha, ifname)) WITHOUT ROWID;";

enum { VC_HOA = 1, VC_HA, VC_IFNAME, VC_COA, VC_SRC, VC_SPORT, VC_MAC, VC_FLAGS, VC_EDELIV, VC_LOCAL,
       VC_ID, VC_REQUESTED, VC_LIFETIME, VC_EXPIRES };

struct st_visitors {
	sqlite3 *db;
	sqlite3_stmt *upsert, *del;
	const char *path;
};

static const char upsert_sql[] =
	"INSERT OR REPLACE INTO visitor (hoa, ha, ifname, coa, src, sport, mac, flags, edeliv, local, id,"
	" requested, lifetime, expires_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14);";
static const char del_sql[] = "DELETE FROM visitor WHERE hoa=?1 AND ha=?2 AND ifname=?3;";
static const char select_sql[] =
	"SELECT hoa, ha, ifname, coa, src, sport, mac, flags, edeliv, local, id, requested, lifetime,"
	" expires_ms FROM visitor ORDER BY hoa, ha, ifname;";

struct st_visitors *st_visitors_open(sqlite3 *db, const char *path)
{
	struct st_visitors *vs = calloc(1, sizeof(*vs));

	if (!vs)
		return NULL;
	vs->db = db;
	vs->path = path;
	if (sqlite3_prepare_v3(db, upsert_sql, -1, SQLITE_PREPARE_PERSISTENT, &vs->upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, del_sql, -1, SQLITE_PREPARE_PERSISTENT, &vs->del, NULL) != SQLITE_OK) {
		log_warnx("state", "%s: %s", path, sqlite3_errmsg(db));
		st_visitors_close(vs);
		return NULL;
	}
	return vs;
}

void st_visitors_close(struct st_visitors *vs)
{
	if (!vs)
		return;
	sqlite3_finalize(vs->upsert);
	sqlite3_finalize(vs->del);
	free(vs);
}

static sqlite3_int64 addr_int(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static struct in_addr int_addr(sqlite3_stmt *q, int col)
{
	return (struct in_addr){ .s_addr = htonl((uint32_t)sqlite3_column_int64(q, col)) };
}

static void st_visitors_step(struct st_visitors *vs, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		log_warnx("state", "cannot record a visitor: %s", sqlite3_errmsg(vs->db));
	sqlite3_reset(s);
}

static void st_visitors_delete(struct st_visitors *vs, struct in_addr hoa, struct in_addr ha,
			       const char *ifname)
{
	sqlite3_bind_int64(vs->del, VC_HOA, addr_int(hoa));
	sqlite3_bind_int64(vs->del, VC_HA, addr_int(ha));
	sqlite3_bind_text(vs->del, VC_IFNAME, ifname, -1, SQLITE_TRANSIENT);
	st_visitors_step(vs, vs->del);
}

void st_visitors_write(struct st_visitors *vs, const struct mip_event *ev, uint64_t now_ms)
{
	const struct fa_visitor *v = fa_visitor_of_event(ev);
	sqlite3_stmt *s = vs->upsert;

	if (!v)
		return;         /* not announced by the foreign agent's table */
	if (ev->type == MIP_EV_VISITOR_REMOVED) {
		st_visitors_delete(vs, v->hoa, v->ha, fa_visitor_ifname(v));
		return;
	}
	sqlite3_bind_int64(s, VC_HOA, addr_int(v->hoa));
	sqlite3_bind_int64(s, VC_HA, addr_int(v->ha));
	sqlite3_bind_text(s, VC_IFNAME, fa_visitor_ifname(v), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, VC_COA, addr_int(v->coa));
	sqlite3_bind_int64(s, VC_SRC, addr_int(v->src));
	sqlite3_bind_int64(s, VC_SPORT, v->sport);
	if (v->have_mac) {
		sqlite3_int64 mac = 0;

		for (int i = 0; i < 6; i++)
			mac = mac << 8 | v->mac[i];
		sqlite3_bind_int64(s, VC_MAC, mac);
	} else {
		sqlite3_bind_null(s, VC_MAC);
	}
	sqlite3_bind_int64(s, VC_FLAGS, v->flags);
	sqlite3_bind_int64(s, VC_EDELIV, v->edeliv);
	sqlite3_bind_int64(s, VC_LOCAL, addr_int(v->local));
	sqlite3_bind_int64(s, VC_ID, (sqlite3_int64)v->id);
	sqlite3_bind_int64(s, VC_REQUESTED, v->requested);
	sqlite3_bind_int64(s, VC_LIFETIME, v->lifetime);
	/* the event is announced as the lifetime is granted: it runs from now */
	sqlite3_bind_int64(s, VC_EXPIRES, v->lifetime == MIP_LIFETIME_INFINITE ? INT64_MAX :
			   (sqlite3_int64)(now_ms + (uint64_t)v->lifetime * 1000));
	st_visitors_step(vs, s);
}

/* Row @q as a visitor to restore at wall time @now; false when it has
 * expired or cannot be one. */
static bool st_visitor_row(sqlite3_stmt *q, uint64_t now, struct fa_saved *s)
{
	sqlite3_int64 lifetime = sqlite3_column_int64(q, VC_LIFETIME - 1);
	sqlite3_int64 expires = sqlite3_column_int64(q, VC_EXPIRES - 1);

	memset(s, 0, sizeof(*s));
	s->ifname = (const char *)sqlite3_column_text(q, VC_IFNAME - 1);
	if (!s->ifname || lifetime <= 0 || lifetime > MIP_LIFETIME_INFINITE)
		return false;
	s->hoa = int_addr(q, VC_HOA - 1);
	s->ha = int_addr(q, VC_HA - 1);
	s->coa = int_addr(q, VC_COA - 1);
	s->src = int_addr(q, VC_SRC - 1);
	s->local = int_addr(q, VC_LOCAL - 1);
	s->sport = (uint16_t)sqlite3_column_int64(q, VC_SPORT - 1);
	if (sqlite3_column_type(q, VC_MAC - 1) == SQLITE_INTEGER) {
		sqlite3_int64 mac = sqlite3_column_int64(q, VC_MAC - 1);

		for (int i = 5; i >= 0; i--, mac >>= 8)
			s->mac[i] = (uint8_t)mac;
		s->have_mac = true;
	}
	s->flags = (uint8_t)sqlite3_column_int64(q, VC_FLAGS - 1);
	s->edeliv = sqlite3_column_int64(q, VC_EDELIV - 1) != 0;
	s->id = (uint64_t)sqlite3_column_int64(q, VC_ID - 1);
	s->requested = (uint16_t)sqlite3_column_int64(q, VC_REQUESTED - 1);
	s->lifetime = (uint16_t)lifetime;
	if (s->lifetime == MIP_LIFETIME_INFINITE)
		return true;
	if (expires <= (sqlite3_int64)now)
		return false;
	/* never more than was granted (the clock may have been set back) */
	s->remaining_ms = (uint64_t)(expires - (sqlite3_int64)now);
	if (s->remaining_ms > (uint64_t)s->lifetime * 1000)
		s->remaining_ms = (uint64_t)s->lifetime * 1000;
	return true;
}

int st_visitors_restore(struct st_visitors *vs, struct mip_fa *fa, uint64_t (*wall_now)(void),
			int *dropped)
{
	sqlite3_stmt *q;
	int n = 0;

	*dropped = 0;
	if (sqlite3_prepare_v2(vs->db, select_sql, -1, &q, NULL) != SQLITE_OK) {
		log_warnx("state", "%s: %s", vs->path, sqlite3_errmsg(vs->db));
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct fa_saved s;

		/* each visitor's remaining lifetime is taken as it is restored:
		 * re-creating the data plane of many takes a while */
		if (st_visitor_row(q, wall_now(), &s) && fa && fa_visitor_restore(fa, &s) == 0) {
			n++;
			continue;
		}
		/* expired while we were down, or no longer ours: forget it (the
		 * current row may be deleted during the scan) */
		(*dropped)++;
		sqlite3_bind_value(vs->del, VC_HOA, sqlite3_column_value(q, VC_HOA - 1));
		sqlite3_bind_value(vs->del, VC_HA, sqlite3_column_value(q, VC_HA - 1));
		sqlite3_bind_value(vs->del, VC_IFNAME, sqlite3_column_value(q, VC_IFNAME - 1));
		st_visitors_step(vs, vs->del);
	}
	sqlite3_finalize(q);
	return n;
}
