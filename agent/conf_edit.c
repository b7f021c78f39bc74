/* Run-time configuration changes on a private copy of struct conf (see conf_edit.h). */
#include "config.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "auth.h"
#include "conf.h"
#include "conf_edit.h"
#include "conf_write.h"
#include "log.h"

#define EDIT_DEFAULT_TOLERANCE 7

struct conf *conf_copy(const struct conf *c)
{
	size_t len = 0;
	char *xml = conf_write_xml(c, &len);
	struct conf *copy;

	if (!xml)
		return NULL;
	copy = conf_parse_memory(c->path, xml, len, NULL);
	conf_write_free(xml, len);
	if (copy && conf_check(copy, NULL) != 0) {
		conf_free(copy);
		copy = NULL;
	}
	if (!copy)
		log_warnx("conf", "cannot copy the running configuration through its XML form");
	return copy;
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int conf_edit_sa_list(struct conf *c, struct in_addr a, struct conf_sa_list *l)
{
	char s[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN];
	size_t i;

	memset(l, 0, sizeof(*l));
	if (c->ha.enabled) {
		struct conf_node *n = (struct conf_node *)conf_find_node(&c->ha, a);

		if (n) {
			l->sas = &n->sas;
			l->n = &n->n_sas;
			if (n->first.s_addr == n->last.s_addr)
				snprintf(l->desc, sizeof(l->desc), "mobile-node %s", ntoa(n->first, s));
			else
				snprintf(l->desc, sizeof(l->desc), "mobile-node range %s-%s",
					 ntoa(n->first, s), ntoa(n->last, t));
			return 0;
		}
	}
	for (i = 0; i < c->n_peers; i++)
		if (c->peers[i].addr.s_addr == a.s_addr) {
			l->sas = &c->peers[i].sas;
			l->n = &c->peers[i].n_sas;
			snprintf(l->desc, sizeof(l->desc), "peer %s", ntoa(a, s));
			return 0;
		}
	for (i = 0; c->fa.enabled && i < c->fa.n_visitors; i++)
		if (c->fa.visitors[i].addr.s_addr == a.s_addr && a.s_addr != INADDR_ANY) {
			l->sas = &c->fa.visitors[i].sas;
			l->n = &c->fa.visitors[i].n_sas;
			snprintf(l->desc, sizeof(l->desc), "visitor %s", ntoa(a, s));
			return 0;
		}
	return -1;
}

/* Strict decimal in @min..@max. */
static int edit_number(const char *name, const char *s, unsigned long min, unsigned long max,
		       unsigned long *out, char *why, size_t whylen)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 0xffffffffull)
			break;
	}
	if (v < min || v > max) {
		snprintf(why, whylen, "%s %.20s: out of range (%lu-%lu)", name, s, min, max);
		return -1;
	}
	*out = (unsigned long)v;
	return 0;
bad:
	snprintf(why, whylen, "%s %.20s: not a number", name, s);
	return -1;
}

static int edit_bool(const char *name, const char *s, bool *out, char *why, size_t whylen)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
		*out = false;
	else {
		snprintf(why, whylen, "%s %.20s: not a boolean (true, false, yes, no, 1, 0)", name, s);
		return -1;
	}
	return 0;
}

/* The key is never echoed in a message. */
static int edit_key(struct conf_sa *sa, const char *s, char *why, size_t whylen)
{
	uint8_t key[MIP_KEY_MAX];
	size_t n = strlen(s), i;
	int len;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i])) {
			snprintf(why, whylen, "key: not a hexadecimal string");
			return -1;
		}
	if (n == 0 || n % 2) {
		snprintf(why, whylen, "key: %s", n ? "odd number of hex digits" : "empty key");
		return -1;
	}
	if (n / 2 > MIP_KEY_MAX) {
		snprintf(why, whylen, "key: longer than %d bytes", MIP_KEY_MAX);
		return -1;
	}
	len = mip_key_from_hex(s, key, sizeof(key));
	if (len < 0 || (size_t)len != n / 2) {
		explicit_bzero(key, sizeof(key));
		snprintf(why, whylen, "key: not a valid hex key");
		return -1;
	}
	explicit_bzero(sa->key, sizeof(sa->key));
	memcpy(sa->key, key, (size_t)len);
	sa->keylen = (size_t)len;
	explicit_bzero(key, sizeof(key));
	return 0;
}

int conf_edit_sa_set(struct conf_sa *sa, const char *name, const char *value, char *why,
		     size_t whylen)
{
	unsigned long v;

	if (!strcmp(name, "key"))
		return edit_key(sa, value, why, whylen);
	if (!strcmp(name, "algorithm")) {
		enum mip_auth_alg alg = 0;

		if (mip_auth_alg_parse(value, &alg) < 0 || alg == 0) {
			snprintf(why, whylen, "algorithm %.20s: unknown algorithm (hmac-md5, keyed-md5, "
				 "rfc2002-md5)", value);
			return -1;
		}
		sa->alg = alg;
		return 0;
	}
	if (!strcmp(name, "replay-method")) {
		enum mip_replay r = 0;

		if (mip_replay_parse(value, &r) < 0 || r == 0) {
			snprintf(why, whylen, "replay-method %.20s: unknown replay method (timestamps, "
				 "nonces)", value);
			return -1;
		}
		sa->replay = r;
		return 0;
	}
	if (!strcmp(name, "timestamp-tolerance")) {
		if (edit_number(name, value, 1, 3600, &v, why, whylen) < 0)
			return -1;
		sa->tolerance = (unsigned)v;
		return 0;
	}
	snprintf(why, whylen, "%.40s: not a security-association setting (key, algorithm, "
		 "replay-method, timestamp-tolerance)", name);
	return -1;
}

struct conf_sa *conf_edit_sa_find(struct conf_sa_list *l, uint32_t spi)
{
	for (size_t i = 0; i < *l->n; i++)
		if ((*l->sas)[i].spi == spi)
			return &(*l->sas)[i];
	return NULL;
}

struct conf_sa *conf_edit_sa_add(struct conf_sa_list *l, uint32_t spi, char *why, size_t whylen)
{
	struct conf_sa *v, *sa;

	if (conf_edit_sa_find(l, spi)) {
		snprintf(why, whylen, "%s already has a security-association with SPI %u", l->desc,
			 spi);
		return NULL;
	}
	v = realloc(*l->sas, (*l->n + 1) * sizeof(*v));
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	*l->sas = v;
	sa = &v[(*l->n)++];
	memset(sa, 0, sizeof(*sa));
	sa->spi = spi;
	sa->alg = MIP_AUTH_HMAC_MD5;
	sa->replay = MIP_REPLAY_TIMESTAMPS;
	sa->tolerance = EDIT_DEFAULT_TOLERANCE;
	return sa;
}

int conf_edit_sa_delete(struct conf_sa_list *l, uint32_t spi, char *why, size_t whylen)
{
	struct conf_sa *sa = conf_edit_sa_find(l, spi);
	size_t i;

	if (!sa) {
		snprintf(why, whylen, "%s has no security-association with SPI %u", l->desc, spi);
		return -1;
	}
	i = (size_t)(sa - *l->sas);
	explicit_bzero(sa, sizeof(*sa));
	memmove(sa, sa + 1, (*l->n - i - 1) * sizeof(*sa));
	(*l->n)--;
	explicit_bzero(&(*l->sas)[*l->n], sizeof(*sa));
	return 0;
}

int conf_edit_node_set(struct conf_node *n, const char *name, const char *value, char *why,
		       size_t whylen)
{
	unsigned long v;

	if (!strcmp(name, "nai")) {
		char *copy;

		for (const char *p = value; *p; p++)
			if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(why, whylen, "nai: contains white space or control characters");
				return -1;
			}
		if (!*value || strlen(value) > 255) {
			snprintf(why, whylen, "nai: must be 1 to 255 bytes");
			return -1;
		}
		copy = strdup(value);
		if (!copy) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(n->nai);
		n->nai = copy;
		return 0;
	}
	if (!strcmp(name, "max-registration-lifetime") || !strcmp(name, "max-bindings")) {
		if (edit_number(name, value, 1, 65535, &v, why, whylen) < 0)
			return -1;
		if (name[4] == 'r')
			n->max_lifetime = (unsigned)v;
		else
			n->max_bindings = (unsigned)v;
		return 0;
	}
	if (!strcmp(name, "roam"))
		return edit_bool(name, value, &n->roam, why, whylen);
	snprintf(why, whylen, "%.40s: not a mobile-node setting (nai, max-registration-lifetime, "
		 "max-bindings, roam)", name);
	return -1;
}

struct conf_node *conf_edit_node_find(struct conf *c, struct in_addr first, struct in_addr last)
{
	for (size_t i = 0; c->ha.enabled && i < c->ha.n_nodes; i++)
		if (c->ha.nodes[i].first.s_addr == first.s_addr &&
		    c->ha.nodes[i].last.s_addr == last.s_addr)
			return &c->ha.nodes[i];
	return NULL;
}

static const char *range_str(struct in_addr first, struct in_addr last, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (first.s_addr == last.s_addr)
		snprintf(buf, size, "mobile-node %s", ntoa(first, a));
	else
		snprintf(buf, size, "mobile-node range %s-%s", ntoa(first, a), ntoa(last, b));
	return buf;
}

struct conf_node *conf_edit_node_add(struct conf *c, struct in_addr first, struct in_addr last,
				     char *why, size_t whylen)
{
	struct conf_node *v, *n;
	char s[64];

	if (!c->ha.enabled) {
		snprintf(why, whylen, "no home agent is configured");
		return NULL;
	}
	if (conf_edit_node_find(c, first, last)) {
		snprintf(why, whylen, "%s is already configured",
			 range_str(first, last, s, sizeof(s)));
		return NULL;
	}
	v = realloc(c->ha.nodes, (c->ha.n_nodes + 1) * sizeof(*v));
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	c->ha.nodes = v;
	n = &v[c->ha.n_nodes++];
	memset(n, 0, sizeof(*n));
	n->first = first;
	n->last = last;
	n->roam = true;
	return n;
}

int conf_edit_node_delete(struct conf *c, struct in_addr first, struct in_addr last, char *why,
			  size_t whylen)
{
	struct conf_node *n = conf_edit_node_find(c, first, last);
	size_t i;
	char s[64];

	if (!n) {
		snprintf(why, whylen, "%s is not configured (give the address of a single node, or "
			 "FIRST-LAST of a range)", range_str(first, last, s, sizeof(s)));
		return -1;
	}
	i = (size_t)(n - c->ha.nodes);
	if (n->sas)
		explicit_bzero(n->sas, n->n_sas * sizeof(*n->sas));
	free(n->sas);
	free(n->nai);
	memmove(n, n + 1, (c->ha.n_nodes - i - 1) * sizeof(*n));
	c->ha.n_nodes--;
	return 0;
}

int conf_edit_parse_range(const char *s, struct in_addr *first, struct in_addr *last)
{
	const char *dash = strchr(s, '-');
	char a[INET_ADDRSTRLEN];

	if (!dash)
		return inet_pton(AF_INET, s, first) == 1 ? (*last = *first, 0) : -1;
	if ((size_t)(dash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (inet_pton(AF_INET, a, first) != 1 || inet_pton(AF_INET, dash + 1, last) != 1)
		return -1;
	return 0;
}
