/* Configuration attribute values: the parsers named in the attr_def tables
 * (NULL on success, else why) and the parse of an element's attributes
 * against its table. */
#include "config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "conf.h"
#include "conf_parse_int.h"
#include "log.h"

/* ---- attribute value parsers: NULL on success, else why ---- */

/* Strict decimal: digits only, no sign, no spaces. */
static int parse_decimal(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (ULLONG_MAX - 9) / 10)
			v = ULLONG_MAX / 10;   /* saturate: out of any range */
		else
			v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

static const char *range_check(const struct attr_def *a, const char *s, unsigned long long *v,
			       char *why, size_t whylen)
{
	if (parse_decimal(s, v) < 0)
		return "not a number";
	if (*v < a->min || *v > a->max) {
		snprintf(why, whylen, "out of range (%lu-%lu)", a->min, a->max);
		return why;
	}
	return NULL;
}

const char *parse_uint(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen)
{
	unsigned long long v;
	const char *r = range_check(a, s, &v, why, whylen);

	if (!r)
		*(unsigned *)dst = (unsigned)v;
	return r;
}

const char *parse_u32(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen)
{
	unsigned long long v;
	const char *r = range_check(a, s, &v, why, whylen);

	if (!r)
		*(uint32_t *)dst = (uint32_t)v;
	return r;
}

const char *parse_addr(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (inet_pton(AF_INET, s, dst) != 1)
		return "not an IPv4 address";
	return NULL;
}

const char *parse_prefix(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen)
{
	struct conf_prefix *p = dst;
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	unsigned long long len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || strlen(slash + 1) > 2)
		return "not an IPv4 prefix (address/length)";
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &p->addr) != 1 || parse_decimal(slash + 1, &len) < 0)
		return "not an IPv4 prefix (address/length)";
	if (len < a->min || len > a->max) {
		snprintf(why, whylen, "prefix length out of range (%lu-%lu)", a->min, a->max);
		return why;
	}
	p->len = (uint8_t)len;
	return NULL;
}

const char *parse_bool(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
		*(bool *)dst = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
		*(bool *)dst = false;
	else
		return "not a boolean (true, false, yes, no, 1, 0)";
	return NULL;
}

const char *parse_permit(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (!strcmp(s, "permit"))
		*(bool *)dst = true;
	else if (!strcmp(s, "deny"))
		*(bool *)dst = false;
	else
		return "not permit or deny";
	return NULL;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A path or other free text: non-empty, no control characters. */
static const char *parse_string(const struct attr_def *a, const char *s, void *dst, char *why,
				size_t whylen)
{
	char **out = dst;
	char *copy;

	(void)a, (void)why, (void)whylen;
	if (!*s)
		return "empty";
	if (has_control(s))
		return "contains control characters";
	copy = strdup(s);
	if (!copy)
		return "out of memory";
	free(*out);
	*out = copy;
	return NULL;
}

const char *parse_path(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen)
{
	if (s[0] != '/')
		return "not an absolute path";
	if (a->max && strlen(s) > a->max) {
		snprintf(why, whylen, "longer than %lu characters", a->max);
		return why;
	}
	return parse_string(a, s, dst, why, whylen);
}

/* A user name as useradd(8) takes it (<general user="">). */
const char *parse_user(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return "not a user name of 1 to 32 characters";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return "not a user name (letters, digits, _ - .)";
	if (s[0] == '-')
		return "not a user name (starts with -)";
	return parse_string(a, s, dst, why, whylen);
}

/* The AgentX master's socket as Net-SNMP names it: a unix socket path
 * ("/path" or "unix:/path", at most a sun_path long) or "tcp:HOST:PORT". */
const char *parse_agentx(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen)
{
	const char *path = !strncmp(s, "unix:", 5) ? s + 5 : s[0] == '/' ? s : NULL;

	if (path) {
		if (path[0] != '/')
			return "not an absolute path";
		if (strlen(path) > a->max) {
			snprintf(why, whylen, "socket path longer than %lu characters", a->max);
			return why;
		}
	} else if (strncmp(s, "tcp:", 4) || !strchr(s + 4, ':') || strpbrk(s, " \t")) {
		return "not a socket path, unix:PATH or tcp:HOST:PORT";
	}
	return parse_string(a, s, dst, why, whylen);
}

const char *parse_backend(const struct attr_def *a, const char *s, void *dst, char *why,
			  size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (!strcmp(s, "auto"))
		*(enum conf_dp_backend *)dst = CONF_DP_AUTO;
	else if (!strcmp(s, "kernel"))
		*(enum conf_dp_backend *)dst = CONF_DP_KERNEL;
	else if (!strcmp(s, "userspace"))
		*(enum conf_dp_backend *)dst = CONF_DP_USERSPACE;
	else
		return "not a data-plane backend (auto, kernel, userspace)";
	return NULL;
}

/* A Network Access Identifier (RFC 2794): 1-255 bytes, no spaces. */
const char *parse_nai(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen)
{
	const char *q;

	for (q = s; *q; q++)
		if (isspace((unsigned char)*q))
			return "contains white space";
	if (strlen(s) > 255)
		return "longer than 255 bytes";
	return parse_string(a, s, dst, why, whylen);
}

const char *parse_ifname(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen)
{
	size_t n = strlen(s);

	(void)a;
	if (n == 0)
		return "empty";
	if (n >= IF_NAMESIZE) {
		snprintf(why, whylen, "interface name longer than %d characters", IF_NAMESIZE - 1);
		return why;
	}
	memcpy(dst, s, n + 1);
	return NULL;
}

const char *parse_loglevel(const struct attr_def *a, const char *s, void *dst, char *why,
			   size_t whylen)
{
	static const char *const names[] = {
		[LOG_LVL_ERR] = "error", [LOG_LVL_WARN] = "warning",
		[LOG_LVL_INFO] = "info", [LOG_LVL_DEBUG] = "debug",
	};
	int i;

	(void)a, (void)why, (void)whylen;
	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		if (!strcmp(s, names[i])) {
			*(int *)dst = i;
			return NULL;
		}
	}
	return "not a log level (error, warning, info, debug)";
}

const char *parse_alg(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen)
{
	enum mip_auth_alg alg = 0;

	(void)a, (void)why, (void)whylen;
	if (mip_auth_alg_parse(s, &alg) < 0 || alg == 0)
		return "unknown algorithm (hmac-md5, keyed-md5, rfc2002-md5)";
	*(enum mip_auth_alg *)dst = alg;
	return NULL;
}

const char *parse_replay(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen)
{
	enum mip_replay r = 0;

	(void)a, (void)why, (void)whylen;
	if (mip_replay_parse(s, &r) < 0 || r == 0)
		return "unknown replay method (timestamps, nonces)";
	*(enum mip_replay *)dst = r;
	return NULL;
}

/* Hex key into a struct conf_sa (@dst). */
const char *parse_key(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen)
{
	struct conf_sa *sa = dst;
	size_t n = strlen(s), i;
	int len;

	(void)a;
	if (n == 0)
		return "empty key";
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return "not a hexadecimal string";
	if (n % 2)
		return "odd number of hex digits";
	if (n / 2 > MIP_KEY_MAX) {
		snprintf(why, whylen, "longer than %d bytes", MIP_KEY_MAX);
		return why;
	}
	len = mip_key_from_hex(s, sa->key, sizeof(sa->key));
	if (len < 0 || (size_t)len != n / 2)
		return "not a valid hex key";
	sa->keylen = (size_t)len;
	return NULL;
}

/* ---- an element's attributes ---- */

/* Copy @s for a message: printable, quotes escaped, at most about 40 characters. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s && o + 6 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o >= 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			buf[o++] = '\\';
		buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

static const struct attr_def *find_attr(const struct elem_def *d, xmlAttr *a, unsigned *bit)
{
	unsigned i;

	if (a->ns)
		return NULL;
	for (i = 0; d->attrs[i].name && i < CONF_MAX_ATTRS; i++) {
		if (!strcmp(d->attrs[i].name, (const char *)a->name)) {
			*bit = 1u << i;
			return &d->attrs[i];
		}
	}
	return NULL;
}

static void attr_name(xmlAttr *a, char *buf, size_t size)
{
	if (a->ns && a->ns->prefix)
		snprintf(buf, size, "%s:%s", (const char *)a->ns->prefix, (const char *)a->name);
	else
		snprintf(buf, size, "%s", (const char *)a->name);
}

static void parse_attr(struct pctx *p, const struct elem_def *d, xmlNode *n,
		       const struct attr_def *ad, xmlAttr *a, void *obj)
{
	xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
	const char *s = v ? (const char *)v : "";
	char why[80], buf[64];
	const char *r;

	r = ad->parse(ad, s, (char *)obj + ad->off, why, sizeof(why));
	if (r && (ad->flags & ATTR_SECRET))
		perr(p, line_of(n), "<%s> %s: %s", d->name, ad->name, r);
	else if (r)
		perr(p, line_of(n), "<%s> %s=\"%s\": %s", d->name, ad->name,
		     shown(s, buf, sizeof(buf)), r);
	if (v) {
		if (ad->flags & ATTR_SECRET)
			explicit_bzero(v, strlen((char *)v));
		xmlFree(v);
	}
}

unsigned parse_attrs(struct pctx *p, const struct elem_def *d, xmlNode *n, void *obj)
{
	unsigned seen = 0, bit = 0, i;
	xmlAttr *a;

	for (a = n->properties; a; a = a->next) {
		const struct attr_def *ad = find_attr(d, a, &bit);
		char name[128];

		if (!ad) {
			attr_name(a, name, sizeof(name));
			perr(p, line_of(n), "unknown attribute %s on <%s>", name, d->name);
			continue;
		}
		seen |= bit;
		parse_attr(p, d, n, ad, a, obj);
	}
	for (i = 0; d->attrs[i].name && i < CONF_MAX_ATTRS; i++)
		if ((d->attrs[i].flags & ATTR_REQUIRED) && !(seen & (1u << i)))
			perr(p, line_of(n), "<%s> needs the %s attribute", d->name, d->attrs[i].name);
	return seen;
}
