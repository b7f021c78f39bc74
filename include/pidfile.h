/* The pid file for init scripts (mipagent -p FILE): written once start-up
 * has succeeded, so it always names a running instance that holds the
 * state directory's lock, and removed at exit. */
#ifndef MIP_PIDFILE_H
#define MIP_PIDFILE_H

/** Write our pid to @path (atomically); -1 on failure (logged). */
int pidfile_write(const char *path);
/** Remove @path if it still holds our pid. */
void pidfile_remove(const char *path);

#endif
