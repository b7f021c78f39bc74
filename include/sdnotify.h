/* Readiness and status for systemd (Type=notify), without libsystemd: one
 * datagram to $NOTIFY_SOCKET per call, as sd_notify(3) describes.  Nothing
 * happens when the variable is not set (not started by systemd). */
#ifndef MIP_SDNOTIFY_H
#define MIP_SDNOTIFY_H

/** Send @state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...",
 *  several separated by newlines); 1 sent, 0 not under systemd, -1 error. */
int sdnotify(const char *state);
/** sdnotify() with a printf format. */
int sdnotifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
