/* The state store's WAL checkpoints, made by a thread of their own so that
 * none holds up the event loop (see state_ckpt.c). */
#ifndef MIP_STATE_CKPT_H
#define MIP_STATE_CKPT_H

#include <stdbool.h>

struct sqlite3;
struct st_ckpt;

/** Take over the checkpoints of @db (the loop's connection to the database
 *  file @path, in WAL mode): a thread with its own connection makes them.
 *  NULL (logged) when that cannot be set up: SQLite's own then go on. */
struct st_ckpt *st_ckpt_start(struct sqlite3 *db, const char *path, bool power_loss_safe);
/** Stop the thread and hand the checkpoints back to SQLite; before @db closes. */
void st_ckpt_stop(struct st_ckpt *c);

#endif
