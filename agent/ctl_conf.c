/* Control-socket configuration requests: add/change/delete SAs and nodes, reload, clear counters (see ctl_conf.h). */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "conf_edit.h"
#include "counters.h"
#include "ctl.h"
#include "ctl_conf.h"
#include "daemon.h"
#include "log.h"
#include "reload.h"

#define CC_MAX_TOKENS 32
#define CC_LINE_MAX 1024

enum { CC_OK = 0, CC_REFUSED = 1, CC_MALFORMED = 2 };

struct cc_req {
	struct mip_daemon *d;
	char *tok[CC_MAX_TOKENS];
	int n;
	char *msg;
	size_t msglen;
	FILE *err;               /* problems, warnings: one record per line */
};

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static int cc_parse_spi(const char *s, uint32_t *spi)
{
	unsigned long long v = 0;

	if (!s || !*s || strlen(s) > 10)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v > 0xffffffffull)
		return -1;
	*spi = (uint32_t)v;
	return 0;
}

static bool sa_attr(const char *name)
{
	return is(name, "key") || is(name, "algorithm") || is(name, "replay-method") ||
	       is(name, "timestamp-tolerance");
}

static bool node_attr(const char *name)
{
	return is(name, "nai") || is(name, "max-registration-lifetime") || is(name, "max-bindings") ||
	       is(name, "roam");
}

/* Apply the NAME VALUE pairs from token @from to @sa and/or @node (either may
 * be NULL); @spi gets the value of "spi" if @spi is not NULL.  Each name at
 * most once.  Returns CC_OK or an END code with the message set. */
static int cc_attrs(struct cc_req *r, int from, struct conf_sa *sa, struct conf_node *node,
		    uint32_t *spi, bool *have_spi, bool *have_key)
{
	char why[200];
	int i, j;

	if ((r->n - from) % 2) {
		snprintf(r->msg, r->msglen, "%s needs a value", r->tok[r->n - 1]);
		return CC_MALFORMED;
	}
	for (i = from; i < r->n; i += 2) {
		const char *name = r->tok[i], *value = r->tok[i + 1];

		for (j = from; j < i; j += 2)
			if (!strcmp(r->tok[j], name)) {
				snprintf(r->msg, r->msglen, "%s given twice", name);
				return CC_MALFORMED;
			}
		if (spi && is(name, "spi")) {
			if (cc_parse_spi(value, spi) < 0) {
				snprintf(r->msg, r->msglen, "spi %.20s: not a number (0-4294967295)", value);
				return CC_MALFORMED;
			}
			*have_spi = true;
			continue;
		}
		if (sa && sa_attr(name)) {
			if (conf_edit_sa_set(sa, name, value, why, sizeof(why)) < 0) {
				snprintf(r->msg, r->msglen, "%s", why);
				return CC_REFUSED;
			}
			if (is(name, "key") && have_key)
				*have_key = true;
			continue;
		}
		if (node && node_attr(name)) {
			if (conf_edit_node_set(node, name, value, why, sizeof(why)) < 0) {
				snprintf(r->msg, r->msglen, "%s", why);
				return CC_REFUSED;
			}
			continue;
		}
		snprintf(r->msg, r->msglen, "unknown setting %.40s", name);
		return CC_MALFORMED;
	}
	return CC_OK;
}

/* Validate, write back and apply @c; sets the END message. */
static int cc_commit(struct cc_req *r, struct conf *c, const char *done)
{
	if (reload_commit(r->d, c, r->err) < 0) {
		snprintf(r->msg, r->msglen, "refused: nothing changed");
		return CC_REFUSED;
	}
	log_info("conf", "control: %s", done);
	snprintf(r->msg, r->msglen, "%s; saved to %s", done, reload_conf_path());
	return CC_OK;
}

/* add|change|delete sa ADDRESS SPI ... */
static int cc_sa(struct cc_req *r, const char *verb)
{
	struct conf_sa_list l;
	struct conf_sa *sa = NULL;
	struct in_addr a;
	uint32_t spi;
	struct conf *c;
	char done[160], why[200];
	bool have_key = false;
	int rc;

	if (r->n < 5 || inet_pton(AF_INET, r->tok[3], &a) != 1 || cc_parse_spi(r->tok[4], &spi) < 0) {
		snprintf(r->msg, r->msglen, "usage: %s sa ADDRESS SPI%s", verb,
			 is(verb, "delete") ? "" : " [key HEX] [algorithm A] [replay-method M] "
			 "[timestamp-tolerance N]");
		return CC_MALFORMED;
	}
	if (is(verb, "delete") && r->n != 5) {
		snprintf(r->msg, r->msglen, "usage: delete sa ADDRESS SPI");
		return CC_MALFORMED;
	}
	if (is(verb, "change") && r->n == 5) {
		snprintf(r->msg, r->msglen, "nothing to change: give key, algorithm, replay-method or "
			 "timestamp-tolerance");
		return CC_MALFORMED;
	}
	c = conf_copy(r->d->conf);
	if (!c) {
		snprintf(r->msg, r->msglen, "cannot copy the running configuration");
		return CC_REFUSED;
	}
	if (conf_edit_sa_list(c, a, &l) < 0) {
		snprintf(r->msg, r->msglen, "%s is neither a configured mobile node, nor a peer%s",
			 r->tok[3], c->fa.enabled ? ", nor a visitor" : "");
		conf_free(c);
		return CC_REFUSED;
	}
	if (is(verb, "delete")) {
		if (conf_edit_sa_delete(&l, spi, why, sizeof(why)) < 0) {
			snprintf(r->msg, r->msglen, "%s", why);
			conf_free(c);
			return CC_REFUSED;
		}
		snprintf(done, sizeof(done), "security association SPI %u of %s deleted", spi, l.desc);
		return cc_commit(r, c, done);
	}
	sa = is(verb, "add") ? conf_edit_sa_add(&l, spi, why, sizeof(why)) : conf_edit_sa_find(&l, spi);
	if (!sa) {
		if (is(verb, "change"))
			snprintf(why, sizeof(why), "%s has no security-association with SPI %u", l.desc, spi);
		snprintf(r->msg, r->msglen, "%s", why);
		conf_free(c);
		return CC_REFUSED;
	}
	rc = cc_attrs(r, 5, sa, NULL, NULL, NULL, &have_key);
	if (rc == CC_OK && is(verb, "add") && !have_key) {
		snprintf(r->msg, r->msglen, "a new security association needs a key");
		rc = CC_MALFORMED;
	}
	if (rc != CC_OK) {
		conf_free(c);
		return rc;
	}
	snprintf(done, sizeof(done), "security association SPI %u of %s %s", spi, l.desc,
		 is(verb, "add") ? "added" : "changed");
	return cc_commit(r, c, done);
}

/* add|change|delete node ADDRESS[-LAST] ... */
static int cc_node(struct cc_req *r, const char *verb)
{
	struct in_addr first, last;
	struct conf_node *node;
	struct conf_sa *sa = NULL;
	struct conf *c;
	char done[160], why[200];
	uint32_t spi = 0;
	bool have_spi = false, have_key = false;
	int rc;

	if (r->n < 4 || conf_edit_parse_range(r->tok[3], &first, &last) < 0 ||
	    (is(verb, "delete") && r->n != 4)) {
		snprintf(r->msg, r->msglen, "usage: %s node ADDRESS[-LAST]%s", verb,
			 is(verb, "delete") ? "" : " [SETTING VALUE]...");
		return CC_MALFORMED;
	}
	if (is(verb, "change") && r->n == 4) {
		snprintf(r->msg, r->msglen, "nothing to change: give nai, max-registration-lifetime, "
			 "max-bindings or roam");
		return CC_MALFORMED;
	}
	c = conf_copy(r->d->conf);
	if (!c) {
		snprintf(r->msg, r->msglen, "cannot copy the running configuration");
		return CC_REFUSED;
	}
	if (is(verb, "delete")) {
		if (conf_edit_node_delete(c, first, last, why, sizeof(why)) < 0) {
			snprintf(r->msg, r->msglen, "%s", why);
			conf_free(c);
			return CC_REFUSED;
		}
		snprintf(done, sizeof(done), "mobile-node %s deleted", r->tok[3]);
		return cc_commit(r, c, done);
	}
	if (is(verb, "add")) {
		node = conf_edit_node_add(c, first, last, why, sizeof(why));
		if (node) {
			/* the node's first SA: its SPI is set once the attributes are read */
			struct conf_sa_list l = { .sas = &node->sas, .n = &node->n_sas };

			sa = conf_edit_sa_add(&l, 0, why, sizeof(why));
			if (!sa)
				node = NULL;
		}
	} else {
		node = conf_edit_node_find(c, first, last);
		if (!node)
			snprintf(why, sizeof(why), "mobile-node %s is not configured (give the address of "
				 "a single node, or FIRST-LAST of a range)", r->tok[3]);
	}
	if (!node) {
		snprintf(r->msg, r->msglen, "%s", why);
		conf_free(c);
		return CC_REFUSED;
	}
	rc = cc_attrs(r, 4, sa, node, sa ? &spi : NULL, &have_spi, &have_key);
	if (rc == CC_OK && sa && (!have_spi || !have_key)) {
		snprintf(r->msg, r->msglen, "a new mobile node needs a security association: give spi "
			 "and key");
		rc = CC_MALFORMED;
	}
	if (rc != CC_OK) {
		conf_free(c);
		return rc;
	}
	if (sa)
		sa->spi = spi;
	snprintf(done, sizeof(done), "mobile-node %s %s", r->tok[3], sa ? "added" : "changed");
	return cc_commit(r, c, done);
}

static int cc_clear_counters(struct cc_req *r)
{
	struct mip_daemon *d = r->d;
	size_t n = 0;

	mip_counters_reset();
	if (d->ha_up)
		for (struct mip_node *node = node_first(&d->ha.nodes); node;
		     node = node_next(&d->ha.nodes, node->hoa), n++)
			memset(&node->ctr, 0, sizeof(node->ctr));
	log_info("conf", "control: counters cleared (agent and %zu node(s))", n);
	snprintf(r->msg, r->msglen, "counters cleared");
	return CC_OK;
}

/* Every line of @text as a "message" record. */
static void cc_records(struct mip_buf *out, const char *text)
{
	while (text && *text) {
		const char *end = strchr(text, '\n');
		size_t len = end ? (size_t)(end - text) : strlen(text);

		mip_buf_put(out, "message text=", 13);
		mip_buf_put(out, text, len);
		mip_buf_put(out, "\n", 1);
		if (!end)
			break;
		text = end + 1;
	}
}

int ctl_conf_dispatch(struct mip_daemon *d, const char *line, struct mip_buf *out, char *msg,
		      size_t msglen)
{
	struct cc_req r = { .d = d, .msg = msg, .msglen = msglen };
	char copy[CC_LINE_MAX], *save = NULL, *t, *text = NULL;
	size_t textlen = 0;
	int rc;

	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	for (t = strtok_r(copy, " \t", &save); t && r.n < CC_MAX_TOKENS; t = strtok_r(NULL, " \t", &save))
		r.tok[r.n++] = t;
	if (r.n < 2 || !is(r.tok[0], MIP_CTL_VERSION) ||
	    !(is(r.tok[1], "add") || is(r.tok[1], "change") || is(r.tok[1], "delete") ||
	      is(r.tok[1], "reload") || (is(r.tok[1], "clear") && r.n == 3 && is(r.tok[2], "counters")))) {
		explicit_bzero(copy, sizeof(copy));
		return -1;
	}
	if (t) {
		snprintf(msg, msglen, "too many words");
		explicit_bzero(copy, sizeof(copy));
		return CC_MALFORMED;
	}
	r.err = open_memstream(&text, &textlen);
	if (!r.err) {
		snprintf(msg, msglen, "out of memory");
		explicit_bzero(copy, sizeof(copy));
		return CC_REFUSED;
	}
	if (is(r.tok[1], "reload")) {
		if (r.n != 2) {
			snprintf(msg, msglen, "usage: reload");
			rc = CC_MALFORMED;
		} else if (reload_config(d, r.err) == 0) {
			snprintf(msg, msglen, "configuration %s reloaded", reload_conf_path());
			rc = CC_OK;
		} else {
			snprintf(msg, msglen, "configuration %s refused; the running one stays in force",
				 reload_conf_path());
			rc = CC_REFUSED;
		}
	} else if (is(r.tok[1], "clear")) {
		rc = cc_clear_counters(&r);
	} else if (r.n >= 3 && is(r.tok[2], "sa")) {
		rc = cc_sa(&r, r.tok[1]);
	} else if (r.n >= 3 && is(r.tok[2], "node")) {
		rc = cc_node(&r, r.tok[1]);
	} else {
		snprintf(msg, msglen, "usage: %s sa|node ...", r.tok[1]);
		rc = CC_MALFORMED;
	}
	fclose(r.err);
	cc_records(out, text);
	free(text);
	explicit_bzero(copy, sizeof(copy));
	return rc;
}
