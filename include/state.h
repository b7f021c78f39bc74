/* Durable state: the home agent's bindings and the foreign agent's visitors
 * in an SQLite database (WAL mode), written in one transaction per
 * event-loop turn and committed before the replies of that turn are sent
 * (outq.h), so an acknowledged registration survives kill -9 (and, in
 * power-loss mode, a power cut).  On start the bindings and visitors come
 * back with their remaining lifetimes.
 *
 * Format versions (PRAGMA user_version): 1 bindings only; 2 adds the
 * visitors (a version-1 store is migrated in place). */
#ifndef MIP_STATE_H
#define MIP_STATE_H

#include <stdbool.h>

struct mip_fa;
struct mip_ha;
struct mip_state;

#define MIP_STATE_FILE "state.db"
#define MIP_STATE_VERSION 2

/** Open (or create) the store in @dir and take the instance lock.  A corrupt
 *  or foreign store, or one of a newer format, is renamed aside (logged)
 *  and a new one started.  NULL
 *  when the directory cannot be used or another instance holds the lock. */
struct mip_state *state_open(const char *dir, bool power_loss_safe);
/** Re-create the stored bindings in @ha (expired ones are dropped); returns
 *  how many came back, or -1. */
int state_restore(struct mip_state *st, struct mip_ha *ha);
/** Re-create the stored visitors in @fa (NULL: drop them all): expired ones
 *  and those whose interface is no longer a foreign agent interface are
 *  dropped; returns how many came back, or -1. */
int state_restore_visitors(struct mip_state *st, struct mip_fa *fa);
/** Start recording binding and visitor events (a notify listener). */
void state_listen(struct mip_state *st);
/** Commit what this turn changed; called before the turn's replies go out. */
int state_commit(struct mip_state *st);
void state_close(struct mip_state *st);

#endif
