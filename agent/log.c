/* Logging to syslog or stderr with subsystem tokens (see log.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
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

bool log_info_enabled(void)
{
	return log_level >= LOG_LVL_INFO;
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

/* ---- the flood limit (log_flood) ---- */

static struct {
	unsigned rate, burst;           /* lines per second, 0: no limit */
	uint64_t tokens;                /* thousandths of a line */
	uint64_t last_ms;
	unsigned long long total;       /* held back since start */
	unsigned long long pending;     /* held back since the last summary */
	uint64_t first_ms;              /* when the first of them was held back */
	void (*hook)(void);
} flood = { .rate = 10, .burst = 50, .tokens = 50 * 1000 };

static uint64_t log_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void log_flood_limit(unsigned rate, unsigned burst)
{
	flood.rate = rate;
	flood.burst = burst ? burst : 1;
	if (flood.tokens > (uint64_t)flood.burst * 1000)
		flood.tokens = (uint64_t)flood.burst * 1000;
}

void log_flood_hook(void (*fn)(void))
{
	flood.hook = fn;
}

unsigned long long log_flood_suppressed(void)
{
	return flood.total;
}

static bool log_flood_take(uint64_t now)
{
	uint64_t cap = (uint64_t)flood.burst * 1000;

	if (!flood.rate)
		return true;
	if (now > flood.last_ms) {
		uint64_t dt = now - flood.last_ms;

		flood.tokens = dt >= cap / flood.rate + 1 ? cap : flood.tokens + dt * flood.rate;
		if (flood.tokens > cap)
			flood.tokens = cap;
		flood.last_ms = now;
	}
	if (flood.tokens < 1000)
		return false;
	flood.tokens -= 1000;
	return true;
}

static void log_flood_report(uint64_t now)
{
	if (!flood.pending)
		return;
	log_warnx("log", "%llu log line(s) about security violations, denials and rate limiting "
		  "suppressed in the last %llu s (limit %u/s)", flood.pending,
		  (unsigned long long)((now - flood.first_ms) / 1000 + 1), flood.rate);
	flood.pending = 0;
}

void log_flood_tick(void)
{
	uint64_t now = log_mono_ms();

	if (flood.pending && now - flood.first_ms >= LOG_FLOOD_REPORT_MS)
		log_flood_report(now);
}

void log_flood(int level, const char *sub, const char *fmt, ...)
{
	int prio = level <= LOG_LVL_WARN ? LOG_WARNING : LOG_INFO;
	uint64_t now;
	va_list ap;

	if (log_level < (level <= LOG_LVL_WARN ? LOG_LVL_WARN : LOG_LVL_INFO))
		return;
	now = log_mono_ms();
	if (!log_flood_take(now)) {
		if (!flood.pending++)
			flood.first_ms = now;
		flood.total++;
		if (flood.hook)
			flood.hook();
		return;
	}
	va_start(ap, fmt);
	log_vemit(prio, sub, fmt, ap, NULL);
	va_end(ap);
}

void log_debug(const char *sub, const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled(sub))
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, sub, fmt, ap, NULL);
	va_end(ap);
}
