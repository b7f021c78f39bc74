/* Unit tests of the state store's checkpoint thread (agent/state_ckpt.c):
 * a commit that leaves 1 000 pages or more in the WAL gets them copied into
 * the database file by the thread, and the data reads back after a stop. */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "state_ckpt.h"

static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/check_ckpt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void exec(sqlite3 *db, const char *sql)
{
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
}

static off_t file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_size : 0;
}

START_TEST(test_thread_checkpoints)
{
	sqlite3 *db;
	struct st_ckpt *c;
	int i;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "PRAGMA journal_mode=WAL;");
	exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);");
	c = st_ckpt_start(db, path, false);
	ck_assert_ptr_nonnull(c);
	/* 1 500 pages of 4 KiB in one commit: the hook wakes the thread */
	exec(db, "BEGIN;");
	exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
		 "INSERT INTO t SELECT i, zeroblob(4000) FROM n;");
	exec(db, "COMMIT;");
	for (i = 0; i < 500 && file_size(path) < 1500 * 4096; i++)
		usleep(10000);
	ck_assert_msg(file_size(path) >= 1500 * 4096, "no checkpoint: database file %lld bytes",
		      (long long)file_size(path));
	st_ckpt_stop(c);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *q;

		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM t;", -1, &q, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(q, 0), 1500);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state_ckpt");
	TCase *tc = tcase_create("state_ckpt");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_thread_checkpoints);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
