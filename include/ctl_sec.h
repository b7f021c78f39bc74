/* Control-socket records of the peer mobility agents ("MIP/1 show peers
 * [ADDRESS]"): one record per configured <peer>, in address order, with
 * its SAs, what IPsec protects and the policies installed now (xfrm.h). */
#ifndef MIP_CTL_SEC_H
#define MIP_CTL_SEC_H

#include <netinet/in.h>
#include "buf.h"

struct mip_daemon;

/** Append the records of every peer (or only @filter, unless INADDR_ANY). */
void ctl_sec_peers(struct mip_daemon *d, struct in_addr filter, struct mip_buf *out);

#endif
