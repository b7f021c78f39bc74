/* WAL checkpoints of the state store off the event loop (see state_ckpt.h).
 *
 * A checkpoint copies the WAL's pages into the database file and syncs both;
 * SQLite's automatic one runs inside the COMMIT that crosses its threshold,
 * so in the event loop, and held up a turn by tens of milliseconds while
 * 100 000 bindings expired together.  Here a thread with a connection of its
 * own makes PASSIVE checkpoints: they take no lock that the loop's writes
 * wait for (WAL mode lets a checkpoint run beside a writer), and commits
 * stay where they were, before the replies.  A passive checkpoint cannot
 * restart the WAL while commits keep coming; should the WAL still grow to
 * ST_CKPT_VALVE pages, the loop checkpoints itself, as SQLite would have
 * (it then copies only the pages written since the thread's last pass). */
#include "config.h"
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "log.h"
#include "state_ckpt.h"

#define ST_CKPT_PAGES 1000      /* WAL pages that start a checkpoint (SQLite's default) */
#define ST_CKPT_VALVE 10000     /* the loop checkpoints itself (the old in-loop threshold) */

struct st_ckpt {
	sqlite3 *main_db;               /* the loop's connection, for the hook */
	sqlite3 *db;                    /* the thread's */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stopping;
	int failed;                     /* an error of the thread's, for the loop to log */
};

static void *ckpt_main(void *arg)
{
	struct st_ckpt *c = arg;
	struct sched_param idle = { 0 };

	/* the loop's thread first: the daemon may be pinned to one core, and a
	 * checkpoint taking the core for a time slice would be a stall too */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->kicked && !c->stopping)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stopping)
			break;
		c->kicked = false;
		pthread_mutex_unlock(&c->mu);
		/* SQLITE_BUSY: another checkpoint is running; the next kick retries */
		int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

		pthread_mutex_lock(&c->mu);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			c->failed = rc;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* After each commit of the loop's connection, with the WAL's size in pages. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct st_ckpt *c = arg;

	if (pages >= ST_CKPT_VALVE) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (pages >= ST_CKPT_PAGES) {
		int failed;

		pthread_mutex_lock(&c->mu);     /* never held across a checkpoint */
		c->kicked = true;
		failed = c->failed;
		c->failed = 0;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (failed)             /* logged here: the log is the loop's */
			log_warnx("state", "checkpoint: %s", sqlite3_errstr(failed));
	}
	return SQLITE_OK;
}

struct st_ckpt *st_ckpt_start(sqlite3 *db, const char *path, bool power_loss_safe)
{
	struct st_ckpt *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->main_db = db;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, power_loss_safe ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("state", "%s: checkpoint connection: %s", path,
			  c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		goto fail;
	}
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		goto fail;
	}
	sqlite3_wal_hook(db, ckpt_hook, c);     /* replaces SQLite's automatic checkpoint */
	return c;
fail:
	log_warnx("state", "no checkpoint thread: SQLite checkpoints in the event loop");
	if (c)
		sqlite3_close(c->db);
	free(c);
	return NULL;
}

void st_ckpt_stop(struct st_ckpt *c)
{
	if (!c)
		return;
	sqlite3_wal_autocheckpoint(c->main_db, 1000);   /* removes our hook */
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
}
