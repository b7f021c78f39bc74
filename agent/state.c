/* Durable binding and visitor state in SQLite (see state.h); the visitor
 * rows are state_visitor.c's. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "ha.h"
#include "log.h"
#include "notify.h"
#include "state.h"
#include "state_int.h"
#include "state_ckpt.h"

/* Upserts wait in memory until the end of the turn (or a deletion) and go
 * to SQLite as multi-row statements of 64, 32, ... 1 rows: SQLite's cost per
 * statement (its statement journal, the VDBE set-up) is then paid once per
 * batch instead of once per binding. */
#define ST_BATCH_LOG2 6
#define ST_BATCH (1u << ST_BATCH_LOG2)
#define ST_COLS 8

struct mip_state {
	sqlite3 *db;
	sqlite3_stmt *upsert[ST_BATCH_LOG2 + 1];        /* [k]: 2^k rows, prepared when first used */
	sqlite3_stmt *del, *del_all;
	struct st_visitors *vis;        /* the visitor table's statements */
	struct st_ckpt *ckpt;           /* the checkpoint thread; NULL: SQLite's own */
	int lock_fd;
	bool in_txn;
	bool restoring;
	unsigned n_rows;
	sqlite3_int64 rows[ST_BATCH][ST_COLS];  /* upserts not yet given to SQLite */
	char path[4096];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS binding ("
	" hoa INTEGER NOT NULL, coa INTEGER NOT NULL, src INTEGER NOT NULL,"
	" sport INTEGER NOT NULL, id INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" lifetime INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
	" PRIMARY KEY (hoa, coa)) WITHOUT ROWID;";

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int st_exec(struct mip_state *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("state", "%s: %s", st->path, err ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static void st_close_db(struct mip_state *st)
{
	for (size_t k = 0; k <= ST_BATCH_LOG2; k++) {
		sqlite3_finalize(st->upsert[k]);
		st->upsert[k] = NULL;
	}
	st->n_rows = 0;
	sqlite3_finalize(st->del);
	sqlite3_finalize(st->del_all);
	st_visitors_close(st->vis);
	st->vis = NULL;
	sqlite3_close(st->db);
	st->del = st->del_all = NULL;
	st->db = NULL;
}

/* The upsert of 2^@k rows, prepared on first use; NULL on failure. */
static sqlite3_stmt *st_upsert_stmt(struct mip_state *st, unsigned k)
{
	static const char head[] = "INSERT OR REPLACE INTO binding VALUES ";
	static const char row[] = "(?,?,?,?,?,?,?,?),";
	char sql[sizeof(head) + ST_BATCH * (sizeof(row) - 1)];
	size_t len = sizeof(head) - 1;

	if (st->upsert[k])
		return st->upsert[k];
	memcpy(sql, head, len);
	for (unsigned i = 0; i < 1u << k; i++, len += sizeof(row) - 1)
		memcpy(sql + len, row, sizeof(row) - 1);
	sql[len - 1] = ';';
	if (sqlite3_prepare_v3(st->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, &st->upsert[k], NULL) !=
	    SQLITE_OK) {
		log_warnx("state", "%s: %s", st->path, sqlite3_errmsg(st->db));
		return NULL;
	}
	return st->upsert[k];
}

static int st_set_version(struct mip_state *st)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;", MIP_STATE_VERSION);
	return st_exec(st, sql);
}

/* Format 1 held only the home agent's bindings: add the (empty) visitor
 * table, in one transaction with the version. */
static int st_migrate_1(struct mip_state *st)
{
	log_info("state", "%s: state format version 1 migrated to %d (the foreign agent's visitors "
		 "are kept too)", st->path, MIP_STATE_VERSION);
	if (st_exec(st, "BEGIN;") < 0)
		return -1;
	if (st_exec(st, st_visitor_schema) < 0 || st_set_version(st) < 0) {
		st_exec(st, "ROLLBACK;");
		return -1;
	}
	return st_exec(st, "COMMIT;");
}

/* Check the file is ours and sound; returns 0, or -1 to set it aside. */
static int st_validate(struct mip_state *st, bool power_loss_safe)
{
	sqlite3_stmt *q = NULL;
	int version = -1, ok = 0;

	/* checkpoints: state_ckpt.c, once the store is open */
	if (st_exec(st, "PRAGMA journal_mode=WAL;") < 0 ||
	    st_exec(st, power_loss_safe ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;") < 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check;", -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0)
		ok = 1;
	sqlite3_finalize(q);
	if (!ok) {
		log_warnx("state", "%s: integrity check failed", st->path);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version;", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (version == 0) {
		/* new file (or pre-versioned): create the schema */
		if (st_exec(st, schema) < 0 || st_exec(st, st_visitor_schema) < 0 || st_set_version(st) < 0)
			return -1;
	} else if (version == 1) {
		if (st_migrate_1(st) < 0)
			return -1;
	} else if (version != MIP_STATE_VERSION) {
		log_warnx("state", "%s: state format version %d is not supported (this mipagent "
			  "reads versions 1 to %d)", st->path, version, MIP_STATE_VERSION);
		return -1;
	}
	/* the one-row upsert now: it checks the table is the one we write */
	if (!st_upsert_stmt(st, 0) ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM binding WHERE hoa=?1 AND coa=?2;", -1, &st->del,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM binding;", -1, &st->del_all, NULL) != SQLITE_OK) {
		log_warnx("state", "%s: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	st->vis = st_visitors_open(st->db, st->path);
	return st->vis ? 0 : -1;
}

/* Keep an unusable store for inspection and start a fresh one. */
static void st_set_aside(struct mip_state *st)
{
	char aside[4200];
	const char *suffix[] = { "", "-wal", "-shm" };

	snprintf(aside, sizeof(aside), "%s.bad-%lld", st->path, (long long)time(NULL));
	for (size_t i = 0; i < 3; i++) {
		char from[4200], to[4300];

		snprintf(from, sizeof(from), "%s%s", st->path, suffix[i]);
		snprintf(to, sizeof(to), "%s%s", aside, suffix[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("state", "rename %s", from);
	}
	log_warnx("state", "state store kept aside as %s; starting with no bindings", aside);
}

/* Only the event loop's thread uses the store: SQLite need not take a mutex
 * in every call, nor keep memory statistics (a global lock per allocation);
 * about 15 % of the instructions of a binding's upsert.  Global settings,
 * which SQLite accepts only before its first use in the process. */
static void st_configure_sqlite(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
	    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
		log_debug("state", "SQLite was already in use: its default locking stays");
}

static int st_open_db(struct mip_state *st, bool power_loss_safe)
{
	st_configure_sqlite();
	if (sqlite3_open_v2(st->path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_warnx("state", "%s: %s", st->path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(st->db, 0);
	return st_validate(st, power_loss_safe);
}

struct mip_state *state_open(const char *dir, bool power_loss_safe)
{
	struct mip_state *st = calloc(1, sizeof(*st));
	char lock[4200];

	if (!st)
		return NULL;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_warn("state", "mkdir %s", dir);
		goto fail;
	}
	snprintf(lock, sizeof(lock), "%s/mipagent.lock", dir);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (st->lock_fd < 0) {
		log_warn("state", "open %s", lock);
		goto fail;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_warnx("state", "another mipagent uses the state directory %s", dir);
		goto fail;
	}
	snprintf(st->path, sizeof(st->path), "%s/%s", dir, MIP_STATE_FILE);
	if (st_open_db(st, power_loss_safe) < 0) {
		st_close_db(st);
		st_set_aside(st);
		if (st_open_db(st, power_loss_safe) < 0)
			goto fail;
	}
	st->ckpt = st_ckpt_start(st->db, st->path, power_loss_safe);
	log_info("state", "state store %s (%s)", st->path,
		 power_loss_safe ? "fsync per loop turn" : "written per loop turn");
	return st;
fail:
	st_close_db(st);
	if (st->lock_fd > 0)
		close(st->lock_fd);
	free(st);
	return NULL;
}

static void st_begin(struct mip_state *st)
{
	if (!st->in_txn && st_exec(st, "BEGIN;") == 0)
		st->in_txn = true;
}

/* Give the waiting upserts to SQLite, in statements of 2^k rows. */
static void st_flush(struct mip_state *st)
{
	unsigned done = 0;

	for (int k = ST_BATCH_LOG2; k >= 0 && done < st->n_rows; k--) {
		unsigned n = 1u << k;
		sqlite3_stmt *s;

		if (st->n_rows - done < n)
			continue;
		s = st_upsert_stmt(st, (unsigned)k);
		for (unsigned i = 0; s && i < n; i++)
			for (unsigned c = 0; c < ST_COLS; c++)
				sqlite3_bind_int64(s, (int)(i * ST_COLS + c + 1), st->rows[done + i][c]);
		if (!s || sqlite3_step(s) != SQLITE_DONE)
			log_warnx("state", "cannot record %s: %s", n > 1 ? "bindings" : "a binding",
				  sqlite3_errmsg(st->db));
		if (s)
			sqlite3_reset(s);
		done += n;
		k++;            /* the same size may fit again */
	}
	st->n_rows = 0;
}

static void st_write(const struct mip_event *ev, void *arg)
{
	struct mip_state *st = arg;
	sqlite3_int64 *r;

	if (st->restoring)
		return;
	switch (ev->type) {
	case MIP_EV_BINDING_ADDED:
	case MIP_EV_BINDING_RENEWED:
		st_begin(st);
		if (st->n_rows == ST_BATCH)
			st_flush(st);
		r = st->rows[st->n_rows++];
		r[0] = ntohl(ev->hoa.s_addr);
		r[1] = ntohl(ev->coa.s_addr);
		r[2] = ntohl(ev->peer.s_addr);
		r[3] = ev->port;
		r[4] = (sqlite3_int64)ev->id;
		r[5] = ev->flags;
		r[6] = ev->lifetime;
		r[7] = ev->lifetime == 0xffff ? INT64_MAX :
		       (sqlite3_int64)(wall_ms() + (uint64_t)ev->lifetime * 1000);
		return;
	case MIP_EV_BINDING_REMOVED:
	case MIP_EV_BINDING_EXPIRED:
		break;
	case MIP_EV_VISITOR_ADDED:
	case MIP_EV_VISITOR_RENEWED:
	case MIP_EV_VISITOR_REMOVED:
		st_begin(st);
		st_visitors_write(st->vis, ev, wall_ms());
		return;
	default:
		return;
	}
	st_begin(st);
	st_flush(st);           /* in order: an upsert of this turn may be of this binding */
	sqlite3_bind_int64(st->del, 1, ntohl(ev->hoa.s_addr));
	sqlite3_bind_int64(st->del, 2, ntohl(ev->coa.s_addr));
	if (sqlite3_step(st->del) != SQLITE_DONE)
		log_warnx("state", "cannot record a binding: %s", sqlite3_errmsg(st->db));
	sqlite3_reset(st->del);
}

void state_listen(struct mip_state *st)
{
	notify_listen(st_write, st);
}

int state_commit(struct mip_state *st)
{
	if (!st)
		return 0;
	if (st->n_rows)
		st_flush(st);   /* outside a transaction only when BEGIN failed */
	if (!st->in_txn)
		return 0;
	st->in_txn = false;
	return st_exec(st, "COMMIT;");
}

int state_restore(struct mip_state *st, struct mip_ha *ha)
{
	sqlite3_stmt *q;
	uint64_t now = wall_ms();
	int n = 0, dropped = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT hoa, coa, src, sport, id, flags, lifetime, expires_ms "
			       "FROM binding ORDER BY hoa, coa;", -1, &q, NULL) != SQLITE_OK) {
		log_warnx("state", "%s: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	st->restoring = true;
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct ha_saved b = {
			.hoa.s_addr = htonl((uint32_t)sqlite3_column_int64(q, 0)),
			.coa.s_addr = htonl((uint32_t)sqlite3_column_int64(q, 1)),
			.src.s_addr = htonl((uint32_t)sqlite3_column_int64(q, 2)),
			.src_port = (uint16_t)sqlite3_column_int64(q, 3),
			.id = (uint64_t)sqlite3_column_int64(q, 4),
			.flags = (uint8_t)sqlite3_column_int64(q, 5),
			.lifetime = (uint16_t)sqlite3_column_int64(q, 6),
		};
		int64_t expires = sqlite3_column_int64(q, 7);

		/* each binding is anchored at the monotonic time it is restored at,
		 * so its remaining lifetime is taken at that moment too */
		now = wall_ms();

		b.remaining_ms = b.lifetime == 0xffff ? 0 : (uint64_t)(expires - (int64_t)now);
		if ((b.lifetime == 0xffff || expires > (int64_t)now) && ha_restore_binding(ha, &b) == 0) {
			n++;
			continue;
		}
		/* expired while we were down, or no longer configured: forget it */
		dropped++;
		st_begin(st);
		sqlite3_bind_int64(st->del, 1, ntohl(b.hoa.s_addr));
		sqlite3_bind_int64(st->del, 2, ntohl(b.coa.s_addr));
		sqlite3_step(st->del);
		sqlite3_reset(st->del);
	}
	sqlite3_finalize(q);
	st->restoring = false;
	state_commit(st);
	log_info("state", "restored %d binding(s), dropped %d expired or no longer configured", n,
		 dropped);
	return n;
}

int state_restore_visitors(struct mip_state *st, struct mip_fa *fa)
{
	int n, dropped;

	st->restoring = true;
	st_begin(st);
	n = st_visitors_restore(st->vis, fa, wall_ms, &dropped);
	st->restoring = false;
	state_commit(st);
	if (n >= 0)
		log_info("state", "restored %d visitor(s), dropped %d expired or no longer on a foreign "
			 "agent interface", n, dropped);
	return n;
}

void state_close(struct mip_state *st)
{
	if (!st)
		return;
	notify_unlisten(st_write, st);
	state_commit(st);
	st_ckpt_stop(st->ckpt);
	st_close_db(st);
	close(st->lock_fd);
	free(st);
}
