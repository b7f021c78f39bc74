/* mipagent: Mobile IPv4 home agent / foreign agent daemon. */
#include "config.h"
#include "daemon.h"

int main(int argc, char **argv)
{
	struct mip_daemon d;
	int rc = daemon_parse_args(&d, argc, argv);

	if (rc != 0)
		return rc > 0 ? 0 : 2;
	return daemon_run(&d);
}
