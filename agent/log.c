/* Logging to syslog or stderr with subsystem tokens (see log.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "log.h"

static bool log_stderr = true;
static int log_level = LOG_LVL_INFO;
static char log_filter[256];

void log_init(const char *ident, bool to_stderr, int level)
{
	log_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

void log_set_filter(const char *tokens)
{
	if (!tokens)
		log_filter[0] = '\0';
	else
		snprintf(log_filter, sizeof(log_filter), ",%s,", tokens);
}

bool log_debug_enabled(const char *sub)
{
	char key[40];

	if (log_level < LOG_LVL_DEBUG)
		return false;
	if (!log_filter[0])
		return true;
	snprintf(key, sizeof(key), ",%s,", sub);
	return strstr(log_filter, key) != NULL;
}

static void log_vemit(int prio, const char *sub, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		static const char *const names[] = {
			[LOG_ERR] = "error", [LOG_WARNING] = "warning",
			[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
		};
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s [%s] %s%s%s\n", tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, names[prio], sub, msg,
			suffix ? ": " : "", suffix ? suffix : "");
	} else {
		syslog(prio, "[%s] %s%s%s", sub, msg, suffix ? ": " : "", suffix ? suffix : "");
	}
}

#define LOG_BODY(minlvl, prio, suffix)              \
	va_list ap;                                 \
	if (log_level < (minlvl))                   \
		return;                             \
	va_start(ap, fmt);                          \
	log_vemit(prio, sub, fmt, ap, suffix);      \
	va_end(ap)

void log_err(const char *sub, const char *fmt, ...) { LOG_BODY(LOG_LVL_ERR, LOG_ERR, NULL); }

void log_warn(const char *sub, const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_LVL_WARN, LOG_WARNING, e);
}

void log_warnx(const char *sub, const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, LOG_WARNING, NULL); }
void log_info(const char *sub, const char *fmt, ...) { LOG_BODY(LOG_LVL_INFO, LOG_INFO, NULL); }

void log_debug(const char *sub, const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled(sub))
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, sub, fmt, ap, NULL);
	va_end(ap);
}
