/* Internals of the durable state shared by state.c and state_visitor.c. */
#ifndef MIP_STATE_INT_H
#define MIP_STATE_INT_H

#include <stdint.h>
#include <sqlite3.h>

struct mip_event;
struct mip_fa;
struct st_visitors;

/* state_visitor.c: the foreign agent's visitors (table "visitor", format 2) */
extern const char st_visitor_schema[];
/** Prepare the statements on @db (the table must exist); NULL (logged) on failure. */
struct st_visitors *st_visitors_open(sqlite3 *db, const char *path);
void st_visitors_close(struct st_visitors *vs);
/** Write a visitor event, inside the caller's transaction; @now_ms: wall clock. */
void st_visitors_write(struct st_visitors *vs, const struct mip_event *ev, uint64_t now_ms);
/** Re-create the stored visitors in @fa (NULL: none can come back), inside
 *  the caller's transaction: the rows that cannot are deleted and counted
 *  in *@dropped.  Returns how many came back, or -1. */
int st_visitors_restore(struct st_visitors *vs, struct mip_fa *fa, uint64_t (*wall_now)(void),
			int *dropped);

#endif
