/* Control-socket records of agent discovery and the foreign agent:
 * "visitor", "pending" and "advertisement" lines (the protocol is in ctl.h).
 * Listings stream one record per call, following a cursor on the table's
 * key, so a long visitor list never builds one huge reply. */
#ifndef MIP_CTL_FA_H
#define MIP_CTL_FA_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "buf.h"
#include "fa.h"

struct adv;

struct ctl_fa_cursor {
	bool started;
	struct in_addr filter;          /* home address, INADDR_ANY: all */
	struct in_addr hoa, ha;         /* visitors: last key sent */
	int ifindex;
	struct fa_pkey pkey;            /* pending: last key sent */
};

/** Start a listing (visitors or pending) of home address @filter. */
void ctl_fa_start(struct ctl_fa_cursor *cur, struct in_addr filter);
/** Append the next visitor (@pending false) or pending record to @out;
 *  false at the end of the list (or without a foreign agent). */
bool ctl_fa_next(const struct mip_fa *fa, struct ctl_fa_cursor *cur, bool pending,
		 struct mip_buf *out, uint64_t now_ms);
/** Append one "advertisement" record per advertising interface. */
void ctl_fa_advertisements(struct adv *adv, struct mip_buf *out);

#endif
