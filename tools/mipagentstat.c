/* mipagentstat: show the bindings, nodes, counters and summary of a running
 * mipagent through its control socket, as text columns, JSON or XML. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "conf.h"
#include "ctl.h"
#include "wire.h"

enum format { FMT_TEXT, FMT_JSON, FMT_XML };

#define MAX_FIELDS 16

struct record {
	char *buf;               /* the line the fields point into */
	char type[32];
	int n;
	char *key[MAX_FIELDS], *val[MAX_FIELDS];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mipagentstat [-s SOCKET] [-j|-x] [bindings|nodes|visitors|pending|advertisements|\n"
		"                    peers|counters|summary|watch] [ADDRESS]\n"
		"  -s SOCKET  control socket (default " MIP_CONF_DEFAULT_SOCKET ")\n"
		"  -j         JSON output;  -x  XML output\n"
		"exit status: 0 ok, 1 the daemon refused the request, 2 cannot reach the daemon, 64 usage\n");
}

static int split_record(char *line, struct record *r)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);

	if (!tok)
		return -1;
	snprintf(r->type, sizeof(r->type), "%s", tok);
	r->n = 0;
	while ((tok = strtok_r(NULL, " ", &save)) && r->n < MAX_FIELDS) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		r->key[r->n] = tok;
		r->val[r->n] = eq + 1;
		r->n++;
	}
	return 0;
}

static const char *field(const struct record *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	return "";
}

/* Registration flags as the Solaris tool showed them: one letter per bit set
 * (visitors: E after them for the Encapsulating Delivery Style). */
static void flag_letters(const char *hex, char *out)
{
	static const char letters[] = "SBDMGrTx";
	unsigned long v = strtoul(hex, NULL, 16);
	char *p = out;

	for (int i = 0; i < 8; i++)
		if (v & (0x80u >> i))
			*p++ = letters[i];
	if (p == out)
		*p++ = '-';
	*p = '\0';
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The foreign agent's tables and the advertisements as columns; false for other views. */
static bool print_text_fa(const char *what, struct record *r, int nrec)
{
	char flags[10];

	if (strcmp(what, "visitors") == 0) {
		printf("%-16s %-16s %-16s %-8s %-17s %-6s %-7s %-9s %s\n", "Home Address", "Home Agent",
		       "Care-of Address", "Iface", "MAC", "Flags", "Granted", "Remaining", "Identification");
		for (int i = 0; i < nrec; i++) {
			flag_letters(field(&r[i], "flags"), flags);
			if (strcmp(field(&r[i], "delivery"), "encapsulating") == 0)
				strcat(flags, "E");  /* RFC 3024 encapsulating delivery (with T) */
			printf("%-16s %-16s %-16s %-8s %-17s %-6s %-7s %-9s %s\n", field(&r[i], "hoa"),
			       field(&r[i], "ha"), field(&r[i], "coa"), field(&r[i], "interface"),
			       field(&r[i], "mac"), flags, field(&r[i], "lifetime"),
			       field(&r[i], "remaining"), field(&r[i], "id"));
		}
		return true;
	}
	if (strcmp(what, "pending") == 0) {
		printf("%-16s %-16s %-16s %-8s %-6s %-8s %-8s %s\n", "Home Address", "Home Agent",
		       "Care-of Address", "Iface", "Flags", "Lifetime", "Age(ms)", "Identification");
		for (int i = 0; i < nrec; i++) {
			flag_letters(field(&r[i], "flags"), flags);
			printf("%-16s %-16s %-16s %-8s %-6s %-8s %-8s %s\n", field(&r[i], "hoa"),
			       field(&r[i], "ha"), field(&r[i], "coa"), field(&r[i], "interface"), flags,
			       field(&r[i], "lifetime"), field(&r[i], "age-ms"), field(&r[i], "id"));
		}
		return true;
	}
	if (strcmp(what, "advertisements") == 0) {
		printf("%-8s %-18s %-3s %-5s %-8s %-11s %-8s %-9s %-9s %s\n", "Iface", "Address", "Up",
		       "Roles", "Next Seq", "Flags", "Sent", "Solicited", "Sol. Rcvd", "Care-of Addresses");
		for (int i = 0; i < nrec; i++)
			printf("%-8s %-18s %-3s %-5s %-8s %-11s %-8s %-9s %-9s %s\n", field(&r[i], "interface"),
			       field(&r[i], "address"), field(&r[i], "up"), field(&r[i], "roles"),
			       field(&r[i], "next-seq"), field(&r[i], "flags"), field(&r[i], "sent"),
			       field(&r[i], "sent-for-solicitation"), field(&r[i], "solicitations"),
			       field(&r[i], "coas"));
		return true;
	}
	return false;
}

static void print_text(const char *what, struct record *r, int nrec)
{
	if (strcmp(what, "bindings") == 0) {
		printf("%-16s %-16s %-16s %-8s %-9s %-9s %s\n", "Home Address", "Care-of Address",
		       "Source", "Flags", "Granted", "Remaining", "Identification");
		for (int i = 0; i < nrec; i++) {
			char flags[10];

			flag_letters(field(&r[i], "flags"), flags);
			printf("%-16s %-16s %-16s %-8s %-9s %-9s %s\n", field(&r[i], "hoa"),
			       field(&r[i], "coa"), field(&r[i], "src"), flags, field(&r[i], "lifetime"),
			       field(&r[i], "remaining"), field(&r[i], "id"));
		}
		return;
	}
	if (print_text_fa(what, r, nrec))
		return;
	if (strcmp(what, "counters") == 0) {
		/* the MIB object's name, else mipagent's own key */
		for (int i = 0; i < nrec; i++)
			printf("%-28s %10s\n", strcmp(field(&r[i], "name"), "-") || !*field(&r[i], "key") ?
			       field(&r[i], "name") : field(&r[i], "key"), field(&r[i], "value"));
		return;
	}
	if (strcmp(what, "peers") == 0) {
		printf("%-16s %-4s %-28s %-16s %-8s %-7s %-8s %-8s %s\n", "Peer Address", "SAs",
		       "IPsec", "Local", "Bindings", "Tunnels", "Visitors", "Policies", "Req/Rep/Fwd/Rev");
		for (int i = 0; i < nrec; i++) {
			char kinds[64];

			snprintf(kinds, sizeof(kinds), "%s/%s/%s/%s%s%s", field(&r[i], "request"),
				 field(&r[i], "reply"), field(&r[i], "forward"), field(&r[i], "reverse"),
				 strcmp(field(&r[i], "failed"), "0") ? " failed " : "",
				 strcmp(field(&r[i], "failed"), "0") ? field(&r[i], "failed") : "");
			printf("%-16s %-4s %-28s %-16s %-8s %-7s %-8s %-8s %s\n", field(&r[i], "address"),
			       field(&r[i], "sas"), field(&r[i], "ipsec"), field(&r[i], "local"),
			       field(&r[i], "bindings"), field(&r[i], "tunnels"), field(&r[i], "visitors"),
			       field(&r[i], "policies"), kinds);
		}
		return;
	}
	for (int i = 0; i < nrec; i++) {
		for (int k = 0; k < r[i].n; k++)
			printf("%s%s %s", k ? "  " : "", r[i].key[k], r[i].val[k]);
		printf("\n");
	}
}

static void print_json(const char *what, struct record *r, int nrec)
{
	printf("{\"%s\":[", what);
	for (int i = 0; i < nrec; i++) {
		printf("%s{", i ? "," : "");
		for (int k = 0; k < r[i].n; k++)
			printf(is_number(r[i].val[k]) ? "%s\"%s\":%s" : "%s\"%s\":\"%s\"", k ? "," : "",
			       r[i].key[k], r[i].val[k]);
		printf("}");
	}
	printf("]}\n");
}

static void print_xml(const char *what, struct record *r, int nrec)
{
	printf("<?xml version=\"1.0\"?>\n<mipagentstat>\n <%s>\n", what);
	for (int i = 0; i < nrec; i++) {
		printf("  <%s", r[i].type);
		for (int k = 0; k < r[i].n; k++)
			printf(" %s=\"%s\"", r[i].key[k], r[i].val[k]);
		printf("/>\n");
	}
	printf(" </%s>\n</mipagentstat>\n", what);
}

/* "watch": print each event as it happens, one line each (text, or one JSON
 * object per line), until the daemon goes away; @addr keeps one home address. */
static int watch(FILE *f, enum format fmt, const char *addr)
{
	char *line = NULL;
	size_t cap = 0;

	fprintf(f, MIP_CTL_VERSION " watch\n");
	fflush(f);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (getline(&line, &cap, f) > 0) {
		struct record r;
		char *copy;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "END ", 4) == 0) {
			fprintf(stderr, "mipagentstat: %s\n", line + 4);
			free(line);
			fclose(f);
			return 1;
		}
		copy = strdup(line);
		if (!copy || split_record(copy, &r) < 0 || strcmp(r.type, "event") != 0 ||
		    (addr && strcmp(field(&r, "hoa"), addr) != 0)) {
			free(copy);
			continue;
		}
		if (fmt == FMT_JSON) {
			printf("{");
			for (int k = 0; k < r.n; k++)
				printf(is_number(r.val[k]) ? "%s\"%s\":%s" : "%s\"%s\":\"%s\"", k ? "," : "",
				       r.key[k], r.val[k]);
			printf("}\n");
		} else if (fmt == FMT_XML) {
			printf("<event");
			for (int k = 0; k < r.n; k++)
				printf(" %s=\"%s\"", r.key[k], r.val[k]);
			printf("/>\n");
		} else {
			for (int k = 0; k < r.n; k++)
				printf("%s%s %s", k ? "  " : "", r.key[k], r.val[k]);
			printf("\n");
		}
		free(copy);
	}
	free(line);
	fclose(f);
	return 0;
}

static FILE *ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FILE *f;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "mipagentstat: socket path too long\n");
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "mipagentstat: cannot connect to %s: %s (is mipagent running?)\n", path,
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

int main(int argc, char **argv)
{
	const char *path = MIP_CONF_DEFAULT_SOCKET, *what = "bindings", *addr = NULL;
	enum format fmt = FMT_TEXT;
	struct record *recs = NULL;
	int nrec = 0, cap = 0, c, rc = 0;
	char *line = NULL;
	size_t linecap = 0;
	FILE *f;

	while ((c = getopt(argc, argv, "s:jxh")) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'j': fmt = FMT_JSON; break;
		case 'x': fmt = FMT_XML; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	if (optind < argc)
		what = argv[optind++];
	if (optind < argc)
		addr = argv[optind++];
	if (optind < argc || (strcmp(what, "bindings") && strcmp(what, "nodes") &&
			      strcmp(what, "visitors") && strcmp(what, "pending") &&
			      strcmp(what, "advertisements") && strcmp(what, "peers") &&
			      strcmp(what, "counters") && strcmp(what, "summary") &&
			      strcmp(what, "watch"))) {
		usage(stderr);
		return 64;
	}
	f = ctl_connect(path);
	if (!f)
		return 2;
	if (strcmp(what, "watch") == 0)
		return watch(f, fmt, addr);
	fprintf(f, MIP_CTL_VERSION " show %s%s%s\n", what, addr ? " " : "", addr ? addr : "");
	fflush(f);
	for (;;) {
		ssize_t n = getline(&line, &linecap, f);

		if (n <= 0) {
			fprintf(stderr, "mipagentstat: the daemon closed the connection early\n");
			rc = 2;
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "END ", 4) == 0) {
			if (atoi(line + 4) != 0) {
				fprintf(stderr, "mipagentstat: %s\n", strchr(line + 4, ' ') ? strchr(line + 4, ' ') + 1 : line);
				rc = 1;
			}
			break;
		}
		if (nrec == cap) {
			struct record *nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(recs, (size_t)cap * sizeof(*recs));
			if (!nr) {
				rc = 2;
				break;
			}
			recs = nr;
		}
		{
			char *copy = strdup(line);

			if (!copy || split_record(copy, &recs[nrec]) < 0) {
				free(copy);
				continue;
			}
			recs[nrec++].buf = copy;
		}
	}
	if (rc == 0) {
		if (fmt == FMT_JSON)
			print_json(what, recs, nrec);
		else if (fmt == FMT_XML)
			print_xml(what, recs, nrec);
		else
			print_text(what, recs, nrec);
	}
	for (int i = 0; i < nrec; i++)
		free(recs[i].buf);
	free(recs);
	free(line);
	fclose(f);
	return rc;
}
