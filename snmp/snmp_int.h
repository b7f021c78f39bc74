/* Internals of the subagent shared by snmp/agent.c and snmp/trap.c (these
 * two are the only files that include Net-SNMP headers). */
#ifndef MIP_SNMP_INT_H
#define MIP_SNMP_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "event.h"
#include "mib.h"
#include "mib_int.h"
#include "timer.h"

#define SNMP_MAX_FDS 16
#define SNMP_MAX_VIOLATORS 1024         /* mipSecViolationTable rows kept */
#define SNMP_TRAP_RATE 10               /* mipAuthFailure: per second ... */
#define SNMP_TRAP_BURST 10              /* ... with bursts of this many */

struct mip_daemon;

struct snmp_fd {
	struct ev_io io;
	struct mip_snmp *s;
	bool used;
	bool dirty;             /* new descriptor in this slot: check before reading */
};

struct mip_snmp {
	struct mip_daemon *d;
	struct ev_loop *loop;
	struct snmp_fd fds[SNMP_MAX_FDS];
	size_t n_fds;                           /* slots in use: fds[0 .. n_fds) */
	struct mip_timer timer;                 /* Net-SNMP's next timeout or alarm */
	bool warned_fds;
	bool connected;
	unsigned ping_interval;
	char socket_path[PATH_MAX];
	char persist_dir[PATH_MAX];
	uint64_t start_ms;                      /* monotonic time of our sysUpTime 0 */
	struct mib_violations *violations;
	/* mipAuthFailure rate limit */
	struct mib_bucket bucket;
	uint32_t suppressed;
	struct mip_timer suppressed_timer;      /* logs the suppressed count */
	bool listening;
	/* faVisitorTable's index, fed by the foreign agent's visitor events */
	struct mib_vindex *vindex;
	bool fa_listening;
	/* SET: RowStatus rows held notInService, the request in progress */
	struct mib_rows *rows;
	struct mib_txn *txn;
};

/** Re-register Net-SNMP's descriptors and timeout with the event loop. */
void mip_snmp_sync(struct mip_snmp *s);
int snmp_trap_init(struct mip_snmp *s);
void snmp_trap_close(struct mip_snmp *s);

#endif
