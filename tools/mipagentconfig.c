/* mipagentconfig: run-time changes to a running mipagent through its control
 * socket: security associations and mobile nodes (validated, applied and
 * saved to the configuration file by the daemon), clearing bindings and
 * counters, reload.  A fixed command tree; every word may be abbreviated to
 * a unique prefix; "help" or "?" anywhere explains what may come next. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "conf.h"
#include "ctl.h"

#define EX_OK 0
#define EX_REFUSED 1
#define EX_UNREACHABLE 2
#define EX_USAGE 64
#define REQ_MAX 1024

static const char *const algorithms[] = { "hmac-md5", "keyed-md5", "rfc2002-md5", NULL };
static const char *const replay_methods[] = { "timestamps", "nonces", NULL };

/* A NAME VALUE setting; @values: the allowed values (prefixes accepted), or NULL. */
struct setting {
	const char *name, *arg, *help;
	const char *const *values;
};

static const struct setting s_spi = { "spi", "N", "SPI of the first security association (256 or more)", NULL };
static const struct setting s_key = { "key", "HEX", "shared key in hex, 1-64 bytes; \"-\" reads it from standard input", NULL };
static const struct setting s_alg = { "algorithm", "A", "hmac-md5 (default), keyed-md5 or rfc2002-md5", algorithms };
static const struct setting s_replay = { "replay-method", "M", "timestamps (default) or nonces", replay_methods };
static const struct setting s_tol = { "timestamp-tolerance", "N", "seconds, 1-3600 (default 7)", NULL };
static const struct setting s_nai = { "nai", "NAI", "network access identifier (RFC 2794) of a single node", NULL };
static const struct setting s_life = { "max-registration-lifetime", "N", "seconds, 1-65535 (default: the home agent's)", NULL };
static const struct setting s_bind = { "max-bindings", "N", "simultaneous bindings, 1-65535 (default: the home agent's)", NULL };
static const struct setting s_roam = { "roam", "BOOL", "may register away from home: true or false", NULL };

static const struct setting *const sa_settings[] = { &s_key, &s_alg, &s_replay, &s_tol, NULL };
static const struct setting *const node_add_settings[] = {
	&s_spi, &s_key, &s_alg, &s_replay, &s_tol, &s_nai, &s_life, &s_bind, &s_roam, NULL
};
static const struct setting *const node_settings[] = { &s_nai, &s_life, &s_bind, &s_roam, NULL };

struct command {
	const char *verb, *object;      /* object NULL: none */
	const char *args;               /* positional arguments, for help */
	int nargs, optargs;             /* required and optional positional arguments */
	const struct setting *const *settings;
	const char *required;           /* settings that must be given, for help */
	const char *help;
};

static const struct command commands[] = {
	{ "add", "sa", "NODE SPI", 2, 0, sa_settings, "key",
	  "add a security association to a mobile node (or range), peer or visitor" },
	{ "add", "node", "ADDRESS[-LAST]", 1, 0, node_add_settings, "spi key",
	  "add a mobile node, or a range of them, with its first security association" },
	{ "change", "sa", "NODE SPI", 2, 0, sa_settings, NULL,
	  "change settings of a security association" },
	{ "change", "node", "ADDRESS[-LAST]", 1, 0, node_settings, NULL,
	  "change settings of a mobile node entry" },
	{ "delete", "sa", "NODE SPI", 2, 0, NULL, NULL, "delete a security association" },
	{ "delete", "node", "ADDRESS[-LAST]", 1, 0, NULL, NULL,
	  "delete a mobile node entry; its bindings are removed" },
	{ "clear", "bindings", "[ADDRESS|all]", 0, 1, NULL, NULL,
	  "remove the bindings of one mobile node, or all" },
	{ "clear", "counters", "", 0, 0, NULL, NULL, "reset the agent's and the nodes' counters" },
	{ "reload", NULL, "", 0, 0, NULL, NULL,
	  "re-read the configuration file; a file with errors is refused" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *const verbs[] = { "add", "change", "delete", "clear", "reload", "help", NULL };

static void print_command(FILE *f, const struct command *c, bool details)
{
	fprintf(f, "  %s%s%s%s%s", c->verb, c->object ? " " : "", c->object ? c->object : "",
		c->args[0] ? " " : "", c->args);
	for (int i = 0; c->settings && c->settings[i]; i++) {
		const struct setting *s = c->settings[i];
		bool req = c->required && strstr(c->required, s->name);

		fprintf(f, " %s%s %s%s", req ? "" : "[", s->name, s->arg, req ? "" : "]");
	}
	fprintf(f, "\n      %s\n", c->help);
	for (int i = 0; details && c->settings && c->settings[i]; i++)
		fprintf(f, "      %-26s %s\n", c->settings[i]->name, c->settings[i]->help);
}

/* Help for the commands starting with @verb (and @object), or all. */
static void help(FILE *f, const char *verb, const char *object)
{
	bool details = verb != NULL;

	if (!verb)
		fprintf(f, "usage: mipagentconfig [-s SOCKET] COMMAND [ARGUMENT]...\n"
			"  -s SOCKET  control socket (default " MIP_CONF_DEFAULT_SOCKET ")\n"
			"Any word may be shortened to a unique prefix; \"help\" or \"?\" explains a command.\n"
			"Changes are validated as a whole configuration, applied and saved to the\n"
			"configuration file by mipagent.  NODE: a mobile node's home address (or a\n"
			"peer's or visitor's address).\n"
			"exit status: 0 done, 1 refused by mipagent, 2 cannot reach mipagent, 64 usage\n"
			"commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		if ((!verb || !strcmp(commands[i].verb, verb)) &&
		    (!object || !commands[i].object || !strcmp(commands[i].object, object)))
			print_command(f, &commands[i], details);
}

static bool is_help(const char *w)
{
	return !strcmp(w, "help") || !strcmp(w, "?") || !strcmp(w, "-h") || !strcmp(w, "--help");
}

/* The one word of @words that @w is a prefix of (an exact match wins); NULL
 * with a message on stderr when none or several are. */
static const char *match(const char *w, const char *const *words, const char *what)
{
	const char *found = NULL;
	size_t n = strlen(w), count = 0;

	for (int i = 0; words[i]; i++) {
		if (!strcmp(words[i], w))
			return words[i];
		if (n && !strncmp(words[i], w, n)) {
			found = words[i];
			count++;
		}
	}
	if (count == 1)
		return found;
	if (count == 0) {
		fprintf(stderr, "mipagentconfig: unknown %s \"%s\" (expected:", what, w);
		for (int i = 0; words[i]; i++)
			fprintf(stderr, " %s", words[i]);
	} else {
		fprintf(stderr, "mipagentconfig: ambiguous %s \"%s\" (could be:", what, w);
		for (int i = 0; words[i]; i++)
			if (!strncmp(words[i], w, n))
				fprintf(stderr, " %s", words[i]);
	}
	fprintf(stderr, ")\n");
	return NULL;
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || (unsigned char)*s < 0x20)
			return true;
	return false;
}

/* The key from standard input: one line, surrounding blanks removed. */
static int read_key(char *key, size_t size)
{
	size_t n;
	char *p = key;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "key (hex): ");
	if (!fgets(key, (int)size, stdin)) {
		fprintf(stderr, "mipagentconfig: no key on standard input\n");
		return -1;
	}
	n = strcspn(key, "\r\n");
	key[n] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(key, p, strlen(p) + 1);
	n = strlen(key);
	while (n && (key[n - 1] == ' ' || key[n - 1] == '\t'))
		key[--n] = '\0';
	return 0;
}

struct req {
	char line[REQ_MAX];
	size_t len;
	bool overflow;
};

static void req_add(struct req *r, const char *w)
{
	int n = snprintf(r->line + r->len, sizeof(r->line) - r->len, " %s", w);

	if (n < 0 || (size_t)n >= sizeof(r->line) - r->len)
		r->overflow = true;
	else
		r->len += (size_t)n;
}

/* Build the request from the words after the verb; returns 0, or EX_USAGE
 * after a message (1: help was printed). */
static int build(int argc, char **argv, struct req *r)
{
	const char *objs[N_COMMANDS + 1], *verb, *object = NULL;
	const struct command *cmd = NULL;
	char key[300];
	int i, n = 0, k;

	if (argc == 0) {
		help(stderr, NULL, NULL);
		return EX_USAGE;
	}
	if (is_help(argv[0])) {
		const char *v = argc > 1 ? match(argv[1], verbs, "command") : NULL;

		help(stdout, v && strcmp(v, "help") ? v : NULL, NULL);
		return 1;
	}
	verb = match(argv[0], verbs, "command");
	if (!verb)
		return EX_USAGE;
	if (!strcmp(verb, "help")) {
		const char *v = argc > 1 ? match(argv[1], verbs, "command") : NULL;

		help(stdout, v && strcmp(v, "help") ? v : NULL, NULL);
		return 1;
	}
	for (size_t c = 0; c < N_COMMANDS; c++)
		if (!strcmp(commands[c].verb, verb)) {
			if (!commands[c].object)
				cmd = &commands[c];
			else
				objs[n++] = commands[c].object;
		}
	objs[n] = NULL;
	i = 1;
	if (!cmd) {
		if (argc < 2 || is_help(argv[1])) {
			help(argc < 2 ? stderr : stdout, verb, NULL);
			return argc < 2 ? EX_USAGE : 1;
		}
		object = match(argv[1], objs, "object");
		if (!object)
			return EX_USAGE;
		for (size_t c = 0; c < N_COMMANDS; c++)
			if (!strcmp(commands[c].verb, verb) && !strcmp(commands[c].object, object))
				cmd = &commands[c];
		i = 2;
	}
	snprintf(r->line, sizeof(r->line), MIP_CTL_VERSION " %s%s%s", verb, object ? " " : "",
		 object ? object : "");
	r->len = strlen(r->line);
	for (k = 0; k < cmd->nargs + cmd->optargs && i < argc; k++, i++) {
		if (is_help(argv[i])) {
			help(stdout, verb, object);
			return 1;
		}
		if (has_space(argv[i]) || !argv[i][0]) {
			fprintf(stderr, "mipagentconfig: \"%s\" is not a valid argument\n", argv[i]);
			return EX_USAGE;
		}
		req_add(r, argv[i]);
	}
	if (k < cmd->nargs) {
		fprintf(stderr, "mipagentconfig: %s %s needs %s\n", verb, object ? object : "", cmd->args);
		help(stderr, verb, object);
		return EX_USAGE;
	}
	for (; i < argc; i += 2) {
		const char *names[16], *name, *value;
		const struct setting *s = NULL;
		int m = 0;

		if (is_help(argv[i])) {
			help(stdout, verb, object);
			return 1;
		}
		if (!cmd->settings) {
			fprintf(stderr, "mipagentconfig: unexpected \"%s\" after %s%s%s %s\n", argv[i], verb,
				object ? " " : "", object ? object : "", cmd->args);
			return EX_USAGE;
		}
		for (m = 0; cmd->settings[m]; m++)
			names[m] = cmd->settings[m]->name;
		names[m] = NULL;
		name = match(argv[i], names, "setting");
		if (!name)
			return EX_USAGE;
		for (m = 0; cmd->settings[m]; m++)
			if (cmd->settings[m]->name == name)
				s = cmd->settings[m];
		if (i + 1 >= argc) {
			fprintf(stderr, "mipagentconfig: %s needs a value (%s)\n", name, s->help);
			return EX_USAGE;
		}
		value = argv[i + 1];
		if (!strcmp(name, "key") && !strcmp(value, "-")) {
			if (read_key(key, sizeof(key)) < 0)
				return EX_USAGE;
			value = key;
		} else if (s->values) {
			value = match(value, s->values, name);
			if (!value)
				return EX_USAGE;
		}
		if (!value[0] || has_space(value)) {
			fprintf(stderr, "mipagentconfig: %s: the value must not be empty or contain white "
				"space\n", name);
			return EX_USAGE;
		}
		req_add(r, name);
		req_add(r, value);
	}
	explicit_bzero(key, sizeof(key));
	if (r->overflow) {
		fprintf(stderr, "mipagentconfig: the request is too long\n");
		return EX_USAGE;
	}
	return 0;
}

static FILE *ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;
	FILE *f;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "mipagentconfig: socket path too long\n");
		return NULL;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "mipagentconfig: cannot connect to %s: %s (is mipagent running?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f = fdopen(fd, "r+");
	if (!f)
		close(fd);
	return f;
}

/* Send the request and print the answer; returns the exit status. */
static int exchange(const char *path, struct req *r)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = EX_UNREACHABLE;
	FILE *f = ctl_connect(path);

	if (!f)
		return EX_UNREACHABLE;
	fprintf(f, "%s\n", r->line);
	fflush(f);
	explicit_bzero(r->line, sizeof(r->line));
	for (;;) {
		ssize_t n = getline(&line, &cap, f);
		char *msg;

		if (n <= 0) {
			fprintf(stderr, "mipagentconfig: mipagent closed the connection early\n");
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "message text=", 13)) {
			fprintf(stderr, "mipagentconfig: %s\n", line + 13);
		} else if (!strncmp(line, "cleared bindings=", 17)) {
			printf("cleared %s binding(s)\n", line + 17);
		} else if (!strncmp(line, "END ", 4)) {
			int code = atoi(line + 4);

			msg = strchr(line + 4, ' ');
			msg = msg ? msg + 1 : line;
			if (code == 0) {
				if (strcmp(msg, "ok"))
					printf("%s\n", msg);
				rc = EX_OK;
			} else {
				fprintf(stderr, "mipagentconfig: %s\n", msg);
				rc = EX_REFUSED;
			}
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = MIP_CONF_DEFAULT_SOCKET;
	struct req r = { .len = 0 };
	int c, rc;

	while ((c = getopt(argc, argv, "+s:hV")) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'h': help(stdout, NULL, NULL); return EX_OK;
		case 'V': printf("mipagentconfig %s\n", PACKAGE_VERSION); return EX_OK;
		default: help(stderr, NULL, NULL); return EX_USAGE;
		}
	}
	rc = build(argc - optind, argv + optind, &r);
	if (rc == 1)
		return EX_OK;
	if (rc)
		return rc;
	return exchange(path, &r);
}
