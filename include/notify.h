/* The one notification fan-out point: every binding change and security
 * violation goes through here to the log and to every registered listener
 * (control-socket watchers, SNMP traps, the data plane). */
#ifndef MIP_NOTIFY_H
#define MIP_NOTIFY_H

#include <stdint.h>
#include <netinet/in.h>

enum mip_event_type {
	MIP_EV_BINDING_ADDED,       /* new (hoa, coa) binding */
	MIP_EV_BINDING_RENEWED,     /* re-registration of an existing binding */
	MIP_EV_BINDING_REMOVED,     /* deregistration, replacement or clear */
	MIP_EV_BINDING_EXPIRED,     /* lifetime ended */
	MIP_EV_SEC_VIOLATION,       /* security violation (mipSecViolationTable) */
	MIP_EV_VISITOR_ADDED,       /* foreign agent visitor list entry added or changed (fa.h) */
	MIP_EV_VISITOR_REMOVED,     /* visitor list entry removed */
	MIP_EV_VISITOR_RENEWED,     /* re-registration that changed only the lifetime or id */
};

/* mipSecRecentViolationReason values (RFC 2006) */
enum mip_violation_reason {
	MIP_VIOL_NO_SA = 1,
	MIP_VIOL_BAD_AUTHENTICATOR = 2,
	MIP_VIOL_BAD_ID = 3,
	MIP_VIOL_BAD_SPI = 4,
	MIP_VIOL_MISSING_EXT = 5,
	MIP_VIOL_OTHER = 6,
};

struct mip_event {
	enum mip_event_type type;
	struct in_addr hoa, coa;        /* binding events; hoa also for violations */
	struct in_addr peer;            /* source of the request / violator address */
	uint16_t port;                  /* its UDP source port (binding events) */
	uint32_t spi;
	uint64_t id;
	uint16_t lifetime;
	uint8_t flags;
	enum mip_violation_reason reason;
	struct in_addr ha;              /* visitor events: the home agent */
	int ifindex;                    /* visitor events: the visitor's interface */
	uint8_t mac[6];                 /* visitor events: its link-layer address (0: unknown) */
};

typedef void (*mip_listener)(const struct mip_event *ev, void *arg);

/** Add a listener; returns 0, or -1 when the (small, fixed) table is full. */
int notify_listen(mip_listener fn, void *arg);
void notify_unlisten(mip_listener fn, void *arg);
/** Log @ev and hand it to every listener. */
void notify(const struct mip_event *ev);
const char *notify_event_name(enum mip_event_type t);
const char *notify_violation_name(enum mip_violation_reason r);

#endif
