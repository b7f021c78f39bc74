/* Logging: syslog by default, stderr in the foreground.  Every message has a
 * subsystem token ("reg", "auth", "conf", ...); debug messages can be limited
 * to some tokens at run time with log_set_filter(). */
#ifndef MIP_LOG_H
#define MIP_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/** Open the log: @to_stderr for the foreground, else syslog (daemon facility). */
void log_init(const char *ident, bool to_stderr, int level);
void log_set_level(int level);
int log_get_level(void);
/** Comma-separated subsystem tokens whose debug messages are shown; NULL: all. */
void log_set_filter(const char *tokens);

/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_err(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_debug_enabled(const char *sub);
/* Whether log_info() writes: to skip formatting arguments for nothing. */
bool log_info_enabled(void);

/* Lines a stranger can cause at will (security violations, denials, rate
 * limiting): all of them share one token bucket, so a flood cannot become a
 * log storm.  The lines held back are counted, and log_flood_tick() writes
 * one "N log lines suppressed" line per LOG_FLOOD_REPORT_MS while it lasts. */
#define LOG_FLOOD_REPORT_MS 10000
/** Log at @level (LOG_LVL_WARN or LOG_LVL_INFO) through the flood limit. */
void log_flood(int level, const char *sub, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Lines per second (0: no limit) and burst of log_flood(); default 10 and 50. */
void log_flood_limit(unsigned rate, unsigned burst);
/** Write the "suppressed" summary when it is due; call about once a second. */
void log_flood_tick(void);
/** Lines held back since start. */
unsigned long long log_flood_suppressed(void);
/** Call @fn once for every line held back (to count it); NULL: none. */
void log_flood_hook(void (*fn)(void));

#endif
