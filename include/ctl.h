/* Control socket: a unix stream socket speaking a small versioned text
 * protocol.  A request is one line "MIP/1 VERB [ARGS]"; the answer is one
 * record per line ("TYPE key=value ...") and a final "END CODE message" line
 * (CODE 0 = success).  Listings stream: records are produced as the client
 * reads them, following a cursor on the MIB index, so a million bindings
 * never build one huge reply. */
#ifndef MIP_CTL_H
#define MIP_CTL_H

#define MIP_CTL_VERSION "MIP/1"

struct ev_loop;
struct mip_daemon;
struct ctl_server;

/** Listen on @path (mode 0660); NULL on failure (logged). */
struct ctl_server *ctl_server_open(const char *path, struct ev_loop *loop, struct mip_daemon *d);
/** Close every client and the socket, and remove the socket file. */
void ctl_server_close(struct ctl_server *s);

#endif
