/* The per-network-namespace instance lock (see instance.h). */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "instance.h"
#include "log.h"

#define INSTANCE_NAME "mipagent"

static int instance_fd = -1;

int instance_lock_netns(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(INSTANCE_NAME));
	int fd;

	if (instance_fd >= 0)
		return 0;
	memcpy(sun.sun_path + 1, INSTANCE_NAME, strlen(INSTANCE_NAME));   /* sun_path[0] = 0: abstract */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("main", "instance lock socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		if (errno == EADDRINUSE)
			log_warnx("main", "another mipagent runs in this network namespace (it holds the "
				  "abstract socket @" INSTANCE_NAME ")");
		else
			log_warn("main", "instance lock @" INSTANCE_NAME);
		close(fd);
		return -1;
	}
	instance_fd = fd;
	return 0;
}

void instance_unlock_netns(void)
{
	if (instance_fd >= 0)
		close(instance_fd);
	instance_fd = -1;
}
