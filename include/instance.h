/* One mipagent per network namespace.  The data plane cleans up, at start,
 * every route and device marked as mipagent's in its namespace, so a second
 * instance there (even with its own state directory and control socket)
 * would tear down the first one's tunnels; and both would share UDP port 434.
 * The lock is the abstract unix socket "@mipagent": abstract names belong to
 * a network namespace and the kernel releases them when the process dies,
 * kill -9 included. */
#ifndef MIP_INSTANCE_H
#define MIP_INSTANCE_H

/** Take the lock; 0, or -1 (logged) when another mipagent holds it. */
int instance_lock_netns(void);
void instance_unlock_netns(void);

#endif
