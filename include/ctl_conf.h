/* The configuration requests of the control socket (mipagentconfig):
 *   MIP/1 add sa ADDRESS SPI key HEX [algorithm A] [replay-method M] [timestamp-tolerance N]
 *   MIP/1 change sa ADDRESS SPI [key HEX] [algorithm A] [replay-method M] [timestamp-tolerance N]
 *   MIP/1 delete sa ADDRESS SPI
 *   MIP/1 add node ADDRESS[-LAST] [nai S] [max-registration-lifetime N] [max-bindings N]
 *                  [roam BOOL] spi N key HEX [algorithm A] [replay-method M] [timestamp-tolerance N]
 *   MIP/1 change node ADDRESS[-LAST] [nai S] [max-registration-lifetime N] [max-bindings N] [roam BOOL]
 *   MIP/1 delete node ADDRESS[-LAST]
 *   MIP/1 reload
 *   MIP/1 clear counters
 * Each answer is zero or more "message text=..." records (text runs to the
 * end of the line: problems, warnings) and "END 0 what was done", "END 1
 * why it was refused" or "END 2 ..." for a malformed request.  Changes are
 * validated as a whole new configuration, written to the configuration
 * file and applied (reload.h).  Keys are never logged or echoed. */
#ifndef MIP_CTL_CONF_H
#define MIP_CTL_CONF_H

#include <stddef.h>
#include "buf.h"

struct mip_daemon;

/** Handle @line if it is one of the requests above: records go to @out,
 *  the END message to @msg, and the END code is returned.  -1: not a
 *  configuration request (the caller handles it); @line is not changed. */
int ctl_conf_dispatch(struct mip_daemon *d, const char *line, struct mip_buf *out, char *msg,
		      size_t msglen);

#endif
