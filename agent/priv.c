/* Least privilege: capabilities, the unprivileged user, the configuration
 * file's mode (see priv.h).  capget/capset are called directly: no libcap. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "conf.h"
#include "log.h"
#include "priv.h"

#define PRIV_KEEP ((1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW) | (1u << CAP_NET_BIND_SERVICE))

#if defined(__SANITIZE_ADDRESS__)
#define PRIV_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRIV_SANITIZED 1
#endif
#endif

unsigned long long priv_kept_caps(void)
{
	return PRIV_KEEP;
}

int priv_check_conf_file(const char *path, FILE *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;               /* the parser reports it */
	if (!(st.st_mode & (S_IROTH | S_IWOTH)))
		return 0;
	fprintf(err, "%s: the file holds keys but others may %s it (mode %04o): refusing to "
		"start; make it private, e.g. chmod o-rw %s\n", path,
		(st.st_mode & S_IROTH) && (st.st_mode & S_IWOTH) ? "read and write" :
		(st.st_mode & S_IROTH) ? "read" : "write", (unsigned)(st.st_mode & 07777), path);
	log_err("main", "%s: readable or writable by others (mode %04o): refusing to start", path,
		(unsigned)(st.st_mode & 07777));
	return -1;
}

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	memset(d, 0, 2 * sizeof(*d));
	return (int)syscall(SYS_capget, &h, d);
}

static int cap_set(uint32_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = keep;
	return (int)syscall(SYS_capset, &h, d);
}

/* Drop every capability but ours from the bounding set (needs CAP_SETPCAP). */
static void bound_drop(void)
{
	int dropped = 0;

	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break;          /* past the kernel's last capability */
		if (!in || (cap < 32 && (PRIV_KEEP & (1u << cap))))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			log_debug("main", "cannot shrink the capability bounding set: %s",
				  strerror(errno));
			return;
		}
		dropped++;
	}
	log_debug("main", "%d capabilities dropped from the bounding set", dropped);
}

static void give(const char *path, uid_t uid, gid_t gid, const char *what)
{
	if (chown(path, uid, gid) < 0 && errno != ENOENT)
		log_warn("main", "cannot give %s %s to the user", what, path);
}

/* The state directory and every file in it. */
static void give_state_dir(const char *dir, uid_t uid, gid_t gid)
{
	DIR *d;
	struct dirent *e;

	give(dir, uid, gid, "the state directory");
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_warn("main", "cannot give %s/%s to the user", dir, e->d_name);
	}
	closedir(d);
}

static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Hand what the daemon writes after start-up over to @pw. */
static void give_files(const struct conf *c, const char *conf_path, const struct passwd *pw)
{
	char dir[PATH_MAX], def[PATH_MAX];

	give_state_dir(c->state_dir ? c->state_dir : MIP_CONF_DEFAULT_STATE_DIR, pw->pw_uid,
		       pw->pw_gid);
	give(conf_path, pw->pw_uid, pw->pw_gid, "the configuration file");
	/* the control socket's directory when it is ours (the default), so the
	 * socket can be removed at exit */
	dir_of(c->control_socket ? c->control_socket : MIP_CONF_DEFAULT_SOCKET, dir, sizeof(dir));
	dir_of(MIP_CONF_DEFAULT_SOCKET, def, sizeof(def));
	if (!strcmp(dir, def))
		give(dir, pw->pw_uid, (gid_t)-1, "the control socket directory");
}

/* Staying root without CAP_CHOWN: join the configuration file's group, so
 * that a file written back can keep it (e.g. root:mipagent, mode 0640). */
static void join_conf_group(const char *conf_path)
{
	gid_t groups[NGROUPS_MAX + 1];
	struct stat st;
	int n;

	if (geteuid() != 0 || stat(conf_path, &st) < 0 || st.st_gid == getegid())
		return;
	n = getgroups(NGROUPS_MAX, groups);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return;
	groups[n++] = st.st_gid;
	if (setgroups((size_t)n, groups) < 0)
		log_warn("main", "cannot join group %u of %s: a file written back may not keep it",
			 (unsigned)st.st_gid, conf_path);
}

static int become(const struct passwd *pw)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		log_warn("main", "PR_SET_KEEPCAPS");
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		log_warn("main", "cannot become user %s", pw->pw_name);
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (setuid(0) == 0) {
		log_err("main", "could become root again after switching to user %s", pw->pw_name);
		return -1;
	}
#ifdef PRIV_SANITIZED
	/* LeakSanitizer stops the process with ptrace at exit; a process that
	 * changed its user is not dumpable (hence not traceable) otherwise */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#endif
	return 0;
}

int priv_drop(const struct conf *c, const char *conf_path)
{
	struct __user_cap_data_struct d[2];
	const struct passwd *pw = NULL;
	uint32_t keep;
	char dir[PATH_MAX];

	if (cap_get(d) < 0) {
		log_warn("main", "capget");
		return -1;
	}
	keep = d[0].permitted & PRIV_KEEP;
	if (c->user) {
		errno = 0;
		pw = getpwnam(c->user);
		if (!pw) {
			log_err("main", "user %s: %s", c->user, errno ? strerror(errno) : "no such user");
			return -1;
		}
		if (pw->pw_uid == 0) {
			pw = NULL;      /* "root": capabilities only */
		} else if (geteuid() != 0) {
			if (geteuid() != pw->pw_uid) {
				log_err("main", "cannot become user %s: not started as root", c->user);
				return -1;
			}
			pw = NULL;      /* already that user */
		}
	}
	if (d[0].effective & (1u << CAP_SETPCAP))
		bound_drop();
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (pw) {
		give_files(c, conf_path, pw);
		if (become(pw) < 0)
			return -1;
	} else {
		join_conf_group(conf_path);
	}
	if (cap_set(keep) < 0) {
		log_warn("main", "capset");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		log_warn("main", "PR_SET_NO_NEW_PRIVS");
	if (cap_get(d) < 0 || d[0].effective != keep || d[0].permitted != keep || d[1].permitted) {
		log_err("main", "capabilities not as expected after dropping them");
		return -1;
	}
	dir_of(conf_path, dir, sizeof(dir));
	if (pw && access(dir, W_OK) < 0)
		log_warnx("main", "user %s cannot write in %s: run-time configuration changes "
			  "(mipagentconfig, SNMP) cannot be written back", pw->pw_name, dir);
	log_info("main", "running as %s with capabilities net_admin, net_raw, net_bind_service "
		 "only%s", pw ? pw->pw_name : c->user ? c->user : "root",
		 keep == PRIV_KEEP ? "" : " (some of them were missing at start)");
	return 0;
}
