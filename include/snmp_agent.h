/* The SNMP AgentX subagent (snmp/, built only with Net-SNMP): serves the
 * MIP-MIB (RFC 2006) from the daemon's live state, applies SETs of its
 * writable objects through reload_commit() (reload.h) and sends
 * mipAuthFailure notifications.  The rest of the daemon sees only this
 * interface and never includes a Net-SNMP header. */
#ifndef MIP_SNMP_AGENT_H
#define MIP_SNMP_AGENT_H

struct ev_loop;
struct mip_daemon;
struct mip_snmp;

/**
 * Start the subagent as d->conf->snmp says: connect to the AgentX master,
 * register mipMIBObjects and listen for security violations.  Its sockets
 * and timers run in @loop.  It reconnects every ping interval while the
 * master is away, without holding up registrations; only a master that
 * accepts connections but does not answer can hold the loop, for up to
 * about 3 s once per ping interval (Net-SNMP's synchronous AgentX Ping,
 * Close and Open, 1 s timeout each).  A missing master is not an error.
 * Returns NULL (after logging) only when the subagent cannot be set up.
 */
struct mip_snmp *mip_snmp_open(struct mip_daemon *d, struct ev_loop *loop);

/** Close the AgentX session and free everything; NULL is ignored. */
void mip_snmp_close(struct mip_snmp *s);

#endif
