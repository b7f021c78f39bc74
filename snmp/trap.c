/* mipAuthFailure (RFC 2006): a listener on the daemon's notification fan-out
 * records every security violation in mipSecViolationTable and sends the
 * notification with the MIB's varbinds (mipSecViolatorAddress,
 * mipSecRecentViolationSPI, -IDLow, -IDHigh, -Reason, each indexed by the
 * violator's address).  Notifications are rate limited by a token bucket
 * (SNMP_TRAP_RATE per second, bursts of SNMP_TRAP_BURST); the ones left out
 * are counted and the count is logged a second after the first of them. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include "counters.h"
#include "log.h"
#include "notify.h"
#include "snmp_int.h"

/* mipAuthFailure = mipMIBNotifications.1 = mipMIB.2.0.1 */
static const oid trap_oid[] = { 1, 3, 6, 1, 2, 1, 44, 2, 0, 1 };
static const oid snmptrap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
/* mipSecViolationEntry = mipMIBObjects.2.3.1 */
#define VIOL_ENTRY 1, 3, 6, 1, 2, 1, 44, 1, 2, 3, 1
#define VIOL_ENTRY_LEN 11

static void trap_add(netsnmp_variable_list **vars, unsigned col, const uint8_t a[4], u_char type,
		     const void *val, size_t len)
{
	oid name[VIOL_ENTRY_LEN + 5] = { VIOL_ENTRY };

	name[VIOL_ENTRY_LEN] = col;
	for (int i = 0; i < 4; i++)
		name[VIOL_ENTRY_LEN + 1 + i] = a[i];
	snmp_varlist_add_variable(vars, name, OID_LENGTH(name), type, val, len);
}

static void trap_send(const struct mip_event *ev)
{
	netsnmp_variable_list *vars = NULL;
	uint8_t a[4];
	long spi = (int32_t)ev->spi, lo = (int32_t)(uint32_t)(ev->id & 0xffffffffu);
	long hi = (int32_t)(uint32_t)(ev->id >> 32), reason = ev->reason;

	memcpy(a, &ev->peer.s_addr, 4);
	snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
				  trap_oid, sizeof(trap_oid));
	trap_add(&vars, 1, a, ASN_IPADDRESS, a, 4);                /* mipSecViolatorAddress */
	trap_add(&vars, 3, a, ASN_INTEGER, &spi, sizeof(spi));     /* mipSecRecentViolationSPI */
	trap_add(&vars, 5, a, ASN_INTEGER, &lo, sizeof(lo));       /* ...IDLow */
	trap_add(&vars, 6, a, ASN_INTEGER, &hi, sizeof(hi));       /* ...IDHigh */
	trap_add(&vars, 7, a, ASN_INTEGER, &reason, sizeof(reason)); /* ...Reason */
	send_v2trap(vars);
	snmp_free_varbind(vars);
}

static void trap_log_suppressed(struct mip_snmp *s)
{
	if (s->suppressed)
		log_warnx("snmp", "%u mipAuthFailure notifications not sent (rate limit %u/s)",
			  s->suppressed, SNMP_TRAP_RATE);
	s->suppressed = 0;
}

static void trap_suppressed_timer(struct mip_timer *t)
{
	trap_log_suppressed(container_of(t, struct mip_snmp, suppressed_timer));
}

static void trap_listener(const struct mip_event *ev, void *arg)
{
	struct mip_snmp *s = arg;
	uint64_t now = mip_now_ms();

	if (ev->type != MIP_EV_SEC_VIOLATION)
		return;
	mib_violations_add(s->violations, ntohl(ev->peer.s_addr), ev->spi, ev->id, ev->reason, now);
	if (!mib_bucket_take(&s->bucket, now)) {
		mip_count(MIP_CTR_TRAPS_SUPPRESSED);
		if (s->suppressed++ == 0)
			timer_schedule(&s->loop->timers, &s->suppressed_timer, now + 1000);
		return;
	}
	trap_send(ev);
	mip_snmp_sync(s);
}

int snmp_trap_init(struct mip_snmp *s)
{
	mib_bucket_init(&s->bucket, SNMP_TRAP_RATE, SNMP_TRAP_BURST, mip_now_ms());
	timer_init(&s->suppressed_timer, trap_suppressed_timer);
	if (notify_listen(trap_listener, s) < 0) {
		log_warnx("snmp", "cannot listen for security violations (listener table full)");
		return -1;
	}
	s->listening = true;
	return 0;
}

void snmp_trap_close(struct mip_snmp *s)
{
	if (s->listening)
		notify_unlisten(trap_listener, s);
	s->listening = false;
	if (timer_pending(&s->suppressed_timer))
		timer_cancel(&s->loop->timers, &s->suppressed_timer);
	trap_log_suppressed(s);
}
