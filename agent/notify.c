/* Notification fan-out (see notify.h). */
#include "config.h"
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include "log.h"
#include "notify.h"

#define MAX_LISTENERS 16

static struct {
	mip_listener fn;
	void *arg;
} listeners[MAX_LISTENERS];

int notify_listen(mip_listener fn, void *arg)
{
	for (int i = 0; i < MAX_LISTENERS; i++)
		if (!listeners[i].fn) {
			listeners[i].fn = fn;
			listeners[i].arg = arg;
			return 0;
		}
	return -1;
}

void notify_unlisten(mip_listener fn, void *arg)
{
	for (int i = 0; i < MAX_LISTENERS; i++)
		if (listeners[i].fn == fn && listeners[i].arg == arg)
			listeners[i].fn = NULL;
}

const char *notify_event_name(enum mip_event_type t)
{
	switch (t) {
	case MIP_EV_BINDING_ADDED: return "binding-added";
	case MIP_EV_BINDING_RENEWED: return "binding-renewed";
	case MIP_EV_BINDING_REMOVED: return "binding-removed";
	case MIP_EV_BINDING_EXPIRED: return "binding-expired";
	case MIP_EV_SEC_VIOLATION: return "security-violation";
	case MIP_EV_VISITOR_ADDED: return "visitor-added";
	case MIP_EV_VISITOR_REMOVED: return "visitor-removed";
	case MIP_EV_VISITOR_RENEWED: return "visitor-renewed";
	}
	return "unknown";
}

const char *notify_violation_name(enum mip_violation_reason r)
{
	switch (r) {
	case MIP_VIOL_NO_SA: return "no mobility security association";
	case MIP_VIOL_BAD_AUTHENTICATOR: return "bad authenticator";
	case MIP_VIOL_BAD_ID: return "bad identification";
	case MIP_VIOL_BAD_SPI: return "bad SPI";
	case MIP_VIOL_MISSING_EXT: return "missing security extension";
	case MIP_VIOL_OTHER: return "other";
	}
	return "unknown";
}

static void notify_log(const struct mip_event *ev)
{
	char hoa[INET_ADDRSTRLEN], coa[INET_ADDRSTRLEN], peer[INET_ADDRSTRLEN];

	/* registrations are the hot path (and a restart announces every
	 * binding): format nothing for a line that will not be written */
	if ((ev->type == MIP_EV_BINDING_RENEWED && !log_debug_enabled("bind")) ||
	    ((ev->type == MIP_EV_VISITOR_ADDED || ev->type == MIP_EV_VISITOR_REMOVED ||
	      ev->type == MIP_EV_VISITOR_RENEWED) && !log_debug_enabled("fa")) ||
	    (ev->type != MIP_EV_SEC_VIOLATION && !log_info_enabled()))
		return;
	inet_ntop(AF_INET, &ev->hoa, hoa, sizeof(hoa));
	inet_ntop(AF_INET, &ev->coa, coa, sizeof(coa));
	inet_ntop(AF_INET, &ev->peer, peer, sizeof(peer));
	if (ev->type == MIP_EV_SEC_VIOLATION)
		log_flood(LOG_LVL_WARN, "sec", "security violation from %s for %s: %s (SPI %u, id "
			  "%016llx)", peer, hoa, notify_violation_name(ev->reason), ev->spi,
			  (unsigned long long)ev->id);
	else if (ev->type == MIP_EV_VISITOR_ADDED || ev->type == MIP_EV_VISITOR_REMOVED ||
		 ev->type == MIP_EV_VISITOR_RENEWED)
		log_debug("fa", "%s %s care-of %s lifetime %u", notify_event_name(ev->type), hoa, coa,
			  ev->lifetime);
	else if (ev->type == MIP_EV_BINDING_RENEWED)
		log_debug("bind", "%s %s care-of %s lifetime %u", notify_event_name(ev->type),
			  hoa, coa, ev->lifetime);
	else
		log_info("bind", "%s %s care-of %s lifetime %u", notify_event_name(ev->type),
			 hoa, coa, ev->lifetime);
}

void notify(const struct mip_event *ev)
{
	notify_log(ev);
	for (int i = 0; i < MAX_LISTENERS; i++)
		if (listeners[i].fn)
			listeners[i].fn(ev, listeners[i].arg);
}
