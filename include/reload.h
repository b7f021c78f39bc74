/* Configuration reload and run-time changes.
 *
 * A new configuration is built fresh (parsed and checked as a whole) and
 * only then swapped in; an invalid one is refused with its FILE:LINE
 * messages and the running one stays in force.  On a swap the home agent
 * keeps every binding whose node is still configured (the nodes' conf
 * pointers are re-resolved against the new struct) and removes, with a
 * binding-removed event, the bindings of nodes that are gone.
 *
 * Three ways in, one code path:
 *   SIGHUP and "mipagentconfig reload"   -> reload_config(): re-read the file
 *   mipagentconfig add/change/delete     -> conf_copy() + conf_edit_*()
 *   SNMP sets (later)                       + reload_commit(): validate, write
 *                                           the file back atomically, swap in
 *
 * Modules that keep a pointer into the struct conf (const struct conf *,
 * a conf_node, a conf_sa...) beyond one event-loop turn must register a
 * reload hook: its check() may refuse the new configuration (say why on
 * @err), its apply() must switch every such pointer to @new; the old struct
 * is freed once every apply() has run.  Modules that read d->conf afresh on
 * each use (the control socket, the SNMP subagent) need nothing.
 *
 * Until every module that holds such pointers (the data planes d->dp and
 * d->dp_fa, the advertisements d->adv, the foreign agent d->fa) has
 * registered a hook with its own struct as @arg, the old configurations
 * are kept until shutdown (with their keys wiped: a key that was removed
 * stays unusable), since those modules still point into them; changes of
 * the settings they read at start take effect at the next restart (a
 * warning says so).  Enabling or disabling the foreign agent is refused
 * unless d->fa has a hook. */
#ifndef MIP_RELOAD_H
#define MIP_RELOAD_H

#include <stdio.h>
#include "conf.h"

struct mip_daemon;
struct mip_ha;

typedef int (*reload_check_fn)(const struct conf *old, const struct conf *new, FILE *err,
			       void *arg);
typedef void (*reload_apply_fn)(const struct conf *old, const struct conf *new, void *arg);

/** Register a module's hook (@check may be NULL); -1 when the table is full. */
int reload_hook_add(reload_check_fn check, reload_apply_fn apply, void *arg);
void reload_hook_del(reload_apply_fn apply, void *arg);
/** Has a hook been registered with @arg? */
bool reload_hook_registered(const void *arg);

/** Remember the configuration file of d->conf (its absolute path, so a
 *  reload works after daemon() changed directory, and its identity, so a
 *  change is never written over edits made to the file since).  Call once
 *  the configuration is loaded, before daemon(). */
int reload_init(struct mip_daemon *d);
/** Free what reload kept (old configurations); at shutdown. */
void reload_cleanup(void);
/** The absolute path of the configuration file. */
const char *reload_conf_path(void);

/** SIGHUP / "MIP/1 reload": re-read, validate fully and swap in the file.
 *  Problems are logged and also printed to @err (may be NULL).  Returns 0 on
 *  success, -1 when the new configuration was refused (nothing changed). */
int reload_config(struct mip_daemon *d, FILE *err);

/** A changed copy of the running configuration (conf_edit.h): validate it as
 *  a whole new configuration, write it to the configuration file atomically,
 *  then swap it in.  Takes ownership of @edited.  Problems go to @err
 *  without the FILE:LINE prefix (they are about the change, not a file).
 *  Returns 0, or -1 when refused (the file and the running state unchanged). */
int reload_commit(struct mip_daemon *d, struct conf *edited, FILE *err);

/** The home agent part of a swap: point @ha at @new, re-resolve every node's
 *  configuration and remove (binding-removed events) the bindings and state
 *  of nodes @new no longer has.  Returns how many bindings were removed. */
size_t reload_ha(struct mip_ha *ha, const struct conf *new);

#endif
