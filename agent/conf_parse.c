/* XML configuration file to struct conf with libxml2, driven by element tables (see conf.h). */
#include "config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include "conf.h"
#include "log.h"

#define CONF_MAX_FILE (16 * 1024 * 1024)
#define CONF_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES)
#define CONF_MAX_ATTRS 32      /* attributes per element: one bit each in a mask */
#define CONF_MAX_CHILDREN 16   /* child element kinds per element (duplicate tracking) */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct pctx {
	const char *name;
	FILE *err;
	int errors;
	struct conf *c;
	xmlParserCtxtPtr ctxt;    /* the document's parser context */
	long last_line;           /* where its last SAX event ended */
};

/* ---- error reporting ---- */

static void perr(struct pctx *p, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void perr(struct pctx *p, long line, const char *fmt, ...)
{
	va_list ap;

	p->errors++;
	if (!p->err)
		return;
	if (line > 0)
		fprintf(p->err, "%s:%ld: ", p->name, line);
	else
		fprintf(p->err, "%s: ", p->name);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
}

/* Print @s (a libxml2 message) without its trailing newline. */
static void print_trimmed(FILE *f, const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	fprintf(f, "%.*s\n", (int)n, s);
}

/* libxml2 parser errors (userData is the parser context). */
static void xml_ctxt_error(void *user, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = user;
	struct pctx *p = ctxt ? ctxt->_private : NULL;
	bool warning = e->level == XML_ERR_WARNING;

	if (!p)
		return;
	if (!warning)
		p->errors++;
	if (!p->err)
		return;
	if (e->line > 0)
		fprintf(p->err, "%s:%d: %s", p->name, e->line, warning ? "warning: " : "");
	else
		fprintf(p->err, "%s: %s", p->name, warning ? "warning: " : "");
	print_trimmed(p->err, e->message ? e->message : "XML error");
}

/* libxml2 errors raised outside the parser context. */
static void xml_global_error(void *user, xmlErrorPtr e)
{
	struct pctx *p = user;

	if (e->level == XML_ERR_WARNING)
		return;
	p->errors++;
	if (p->err) {
		fprintf(p->err, "%s: ", p->name);
		print_trimmed(p->err, e->message ? e->message : "XML error");
	}
}

static void xml_generic_error(void *user, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void xml_generic_error(void *user, const char *fmt, ...)
{
	struct pctx *p = user;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errors++;
	if (p->err) {
		fprintf(p->err, "%s: ", p->name);
		print_trimmed(p->err, msg);
	}
}

static xmlParserInputPtr no_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	struct pctx *p = ctxt ? ctxt->_private : NULL;

	if (p)
		perr(p, ctxt->input ? ctxt->input->line : 0,
		     "external entity \"%s\" not loaded: external entities are disabled",
		     url ? url : id ? id : "?");
	return NULL;
}

/* ---- start lines ----
 * libxml2 gives an element the line where its start tag ends.  Nothing but
 * markup lies between the end of one SAX event and the start of the next
 * inside the root, so these wrappers of the default SAX2 handlers note where
 * each event ends and store the start line of each element and text node in
 * its _private field.  Events from entity sub-parsers (another context) are
 * passed through untracked. */

static struct pctx *sax_pctx(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pctx *p = ctxt->_private;

	return p && p->ctxt == ctxt ? p : NULL;
}

static void sax_mark(void *ctx)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pctx *p = sax_pctx(ctx);

	if (p && ctxt->input)
		p->last_line = ctxt->input->line;
}

static void set_line(xmlNode *n, long line)
{
	if (n && !n->_private && line > 0)
		n->_private = (void *)(intptr_t)line;
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
		      int nb_ns, const xmlChar **ns, int nb_attrs, int nb_defaulted,
		      const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pctx *p = sax_pctx(ctx);
	xmlNode *parent = ctxt->node;

	xmlSAX2StartElementNs(ctx, name, prefix, uri, nb_ns, ns, nb_attrs, nb_defaulted, attrs);
	if (p && parent && ctxt->node != parent)   /* not the root: blanks before it are skipped */
		set_line(ctxt->node, p->last_line);
	sax_mark(ctx);
}

static void sax_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	xmlSAX2EndElementNs(ctx, name, prefix, uri);
	sax_mark(ctx);
}

static void sax_characters(void *ctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pctx *p = sax_pctx(ctx);
	xmlNode *parent = ctxt->node;

	xmlSAX2Characters(ctx, ch, len);
	if (p && parent && parent->last && parent->last->type == XML_TEXT_NODE)
		set_line(parent->last, p->last_line);
	sax_mark(ctx);
}

static void sax_cdata(void *ctx, const xmlChar *value, int len)
{
	xmlSAX2CDataBlock(ctx, value, len);
	sax_mark(ctx);
}

static void sax_comment(void *ctx, const xmlChar *value)
{
	xmlSAX2Comment(ctx, value);
	sax_mark(ctx);
}

static void sax_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	xmlSAX2ProcessingInstruction(ctx, target, data);
	sax_mark(ctx);
}

static void sax_reference(void *ctx, const xmlChar *name)
{
	xmlSAX2Reference(ctx, name);
	sax_mark(ctx);
}

/* Install the wrappers (and our error handler) on @ctxt's SAX handler. */
static void sax_wrap(struct pctx *p, xmlParserCtxtPtr ctxt)
{
	xmlSAXHandler *h = ctxt->sax;

	p->ctxt = ctxt;
	h->serror = xml_ctxt_error;
	if (h->startElementNs == xmlSAX2StartElementNs)
		h->startElementNs = sax_start;
	if (h->endElementNs == xmlSAX2EndElementNs)
		h->endElementNs = sax_end;
	if (h->characters == xmlSAX2Characters)
		h->characters = sax_characters;
	if (h->ignorableWhitespace == xmlSAX2Characters)
		h->ignorableWhitespace = sax_characters;
	if (h->cdataBlock == xmlSAX2CDataBlock)
		h->cdataBlock = sax_cdata;
	if (h->comment == xmlSAX2Comment)
		h->comment = sax_comment;
	if (h->processingInstruction == xmlSAX2ProcessingInstruction)
		h->processingInstruction = sax_pi;
	if (h->reference == xmlSAX2Reference)
		h->reference = sax_reference;
}

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

/* ---- growable arrays ---- */

/* Append a zeroed element to the array *@arrp (any T **) of *@n elements of
 * @size bytes; the capacity doubles whenever *@n reaches a power of two.
 * The pointer is copied with memcpy, not read through a void **. */
static void *append(void *arrp, size_t *n, size_t size)
{
	char *a;

	memcpy(&a, arrp, sizeof(a));
	if (*n >= (SIZE_MAX / 2) / size)
		return NULL;
	if ((*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 1;

		a = realloc(a, cap * size);
		if (!a)
			return NULL;
		memcpy(arrp, &a, sizeof(a));
	}
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

/* ---- attribute value parsers: NULL on success, else why ---- */

struct attr_def;
typedef const char *(*attr_parse_fn)(const struct attr_def *a, const char *s, void *dst,
				     char *why, size_t whylen);

enum { ATTR_REQUIRED = 1, ATTR_SECRET = 2 };

struct attr_def {
	const char *name;
	attr_parse_fn parse;
	size_t off;               /* field offset in the element's object */
	unsigned long min, max;   /* numbers: value range; prefixes: length range */
	unsigned flags;
};

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

static const char *parse_uint(const struct attr_def *a, const char *s, void *dst, char *why,
			      size_t whylen)
{
	unsigned long long v;
	const char *r = range_check(a, s, &v, why, whylen);

	if (!r)
		*(unsigned *)dst = (unsigned)v;
	return r;
}

static const char *parse_u32(const struct attr_def *a, const char *s, void *dst, char *why,
			     size_t whylen)
{
	unsigned long long v;
	const char *r = range_check(a, s, &v, why, whylen);

	if (!r)
		*(uint32_t *)dst = (uint32_t)v;
	return r;
}

static const char *parse_addr(const struct attr_def *a, const char *s, void *dst, char *why,
			      size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (inet_pton(AF_INET, s, dst) != 1)
		return "not an IPv4 address";
	return NULL;
}

static const char *parse_prefix(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_bool(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_permit(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_path(const struct attr_def *a, const char *s, void *dst, char *why,
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
static const char *parse_user(const struct attr_def *a, const char *s, void *dst, char *why,
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
static const char *parse_agentx(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_backend(const struct attr_def *a, const char *s, void *dst, char *why,
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
static const char *parse_nai(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_ifname(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_loglevel(const struct attr_def *a, const char *s, void *dst, char *why,
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

static const char *parse_alg(const struct attr_def *a, const char *s, void *dst, char *why,
			     size_t whylen)
{
	enum mip_auth_alg alg = 0;

	(void)a, (void)why, (void)whylen;
	if (mip_auth_alg_parse(s, &alg) < 0 || alg == 0)
		return "unknown algorithm (hmac-md5, keyed-md5, rfc2002-md5)";
	*(enum mip_auth_alg *)dst = alg;
	return NULL;
}

static const char *parse_replay(const struct attr_def *a, const char *s, void *dst, char *why,
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
static const char *parse_key(const struct attr_def *a, const char *s, void *dst, char *why,
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

/* ---- elements ---- */

struct elem_def {
	const char *name;
	const struct attr_def *attrs;              /* ends with a NULL name */
	const struct elem_def *const *children;    /* ends with NULL; NULL: none */
	/* The object that @n's attributes and children fill, inside @parent's
	 * object; NULL on allocation failure (reported). */
	void *(*open)(struct pctx *p, xmlNode *n, void *parent);
	/* Checks across attributes; bit i of @seen: attrs[i] was present. */
	void (*done)(struct pctx *p, xmlNode *n, void *obj, unsigned seen);
	bool once;                                 /* at most one per parent */
};

static long line_of(xmlNode *n)
{
	if (n->_private)
		return (long)(intptr_t)n->_private;
	return xmlGetLineNo(n);
}

static int int_line(xmlNode *n)
{
	long l = line_of(n);

	return l > INT_MAX ? INT_MAX : (int)l;
}

static void *oom(struct pctx *p, xmlNode *n)
{
	perr(p, line_of(n), "out of memory");
	return NULL;
}

#define SA_OFF(f) offsetof(struct conf_sa, f)
static const struct attr_def sa_attrs[] = {
	{ "spi", parse_u32, SA_OFF(spi), 0, UINT32_MAX, ATTR_REQUIRED },
	{ "algorithm", parse_alg, SA_OFF(alg), 0, 0, 0 },
	{ "key", parse_key, 0, 0, 0, ATTR_REQUIRED | ATTR_SECRET },
	{ "replay-method", parse_replay, SA_OFF(replay), 0, 0, 0 },
	{ "timestamp-tolerance", parse_uint, SA_OFF(tolerance), 1, 3600, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *new_sa(struct pctx *p, xmlNode *n, struct conf_sa **sas, size_t *n_sas)
{
	struct conf_sa *sa = append(sas, n_sas, sizeof(*sa));

	if (!sa)
		return oom(p, n);
	sa->line = int_line(n);
	return sa;
}

static void *open_node_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_node *node = parent;

	return new_sa(p, n, &node->sas, &node->n_sas);
}

static void *open_peer_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_peer *peer = parent;

	return new_sa(p, n, &peer->sas, &peer->n_sas);
}

static const struct elem_def node_sa_elem = {
	"security-association", sa_attrs, NULL, open_node_sa, NULL, false,
};
static const struct elem_def peer_sa_elem = {
	"security-association", sa_attrs, NULL, open_peer_sa, NULL, false,
};

/* <virtual-network prefix=""/> */
static const struct attr_def vnet_attrs[] = {
	{ "prefix", parse_prefix, 0, 1, 32, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_vnet(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;
	struct conf_prefix *v = append(&ha->virtual_networks, &ha->n_virtual_networks, sizeof(*v));

	if (!v)
		return oom(p, n);
	v->line = int_line(n);
	return v;
}

static const struct elem_def vnet_elem = {
	"virtual-network", vnet_attrs, NULL, open_vnet, NULL, false,
};

/* <care-of-access default=""> <permit network=""/> <deny network=""/> */
static const struct attr_def access_entry_attrs[] = {
	{ "network", parse_prefix, offsetof(struct conf_access, net), 0, 32, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_access(struct pctx *p, xmlNode *n, void *parent, bool permit)
{
	struct conf_home_agent *ha = parent;
	struct conf_access *e = append(&ha->access, &ha->n_access, sizeof(*e));

	if (!e)
		return oom(p, n);
	e->permit = permit;
	e->line = int_line(n);
	e->net.line = e->line;
	return e;
}

static void *open_permit(struct pctx *p, xmlNode *n, void *parent)
{
	return open_access(p, n, parent, true);
}

static void *open_deny(struct pctx *p, xmlNode *n, void *parent)
{
	return open_access(p, n, parent, false);
}

static const struct elem_def permit_elem = {
	"permit", access_entry_attrs, NULL, open_permit, NULL, false,
};
static const struct elem_def deny_elem = {
	"deny", access_entry_attrs, NULL, open_deny, NULL, false,
};

static const struct attr_def access_attrs[] = {
	{ "default", parse_permit, offsetof(struct conf_home_agent, access_default_permit), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def *const access_children[] = { &permit_elem, &deny_elem, NULL };
static const struct elem_def access_elem = {
	"care-of-access", access_attrs, access_children, NULL, NULL, true,
};

/* <mobile-node> */
#define NODE_OFF(f) offsetof(struct conf_node, f)
enum { NODE_ADDRESS, NODE_FIRST, NODE_LAST };
static const struct attr_def node_attrs[] = {
	[NODE_ADDRESS] = { "address", parse_addr, NODE_OFF(first), 0, 0, 0 },
	[NODE_FIRST] = { "first", parse_addr, NODE_OFF(first), 0, 0, 0 },
	[NODE_LAST] = { "last", parse_addr, NODE_OFF(last), 0, 0, 0 },
	{ "nai", parse_nai, NODE_OFF(nai), 0, 0, 0 },
	{ "max-registration-lifetime", parse_uint, NODE_OFF(max_lifetime), 1, 65535, 0 },
	{ "max-bindings", parse_uint, NODE_OFF(max_bindings), 1, 65535, 0 },
	{ "roam", parse_bool, NODE_OFF(roam), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_node(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;
	struct conf_node *node = append(&ha->nodes, &ha->n_nodes, sizeof(*node));

	if (!node)
		return oom(p, n);
	node->roam = true;
	node->line = int_line(n);
	return node;
}

static void done_node(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	struct conf_node *node = obj;
	bool addr = seen & (1u << NODE_ADDRESS);
	bool first = seen & (1u << NODE_FIRST), last = seen & (1u << NODE_LAST);

	if (addr && (first || last))
		perr(p, line_of(n), "<mobile-node> has both address and first/last");
	else if (addr)
		node->last = node->first;
	else if (first != last)
		perr(p, line_of(n), "<mobile-node> needs both first and last");
	else if (!first)
		perr(p, line_of(n), "<mobile-node> needs an address, or first and last");
}

static const struct elem_def *const node_children[] = { &node_sa_elem, NULL };
static const struct elem_def node_elem = {
	"mobile-node", node_attrs, node_children, open_node, done_node, false,
};

/* ---- advertising interfaces and the foreign agent ---- */

/* maAdvAddress: the all-systems group or the limited broadcast (RFC 1256). */
static const char *parse_adv_address(const struct attr_def *a, const char *s, void *dst,
				     char *why, size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "224.0.0.1") && strcmp(s, "255.255.255.255"))
		return "not 224.0.0.1 or 255.255.255.255";
	inet_pton(AF_INET, s, dst);
	return NULL;
}

/* The Code of Agent Advertisements: 16 (mobility agent only) or 0 (router). */
static const char *parse_icmp_code(const struct attr_def *a, const char *s, void *dst,
				   char *why, size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "16") && strcmp(s, "0"))
		return "not 16 or 0";
	*(unsigned *)dst = s[0] == '0' ? 0 : 16;
	return NULL;
}

/* <interface name=""> (both roles; visitor-limit on a foreign agent's only) */
#define AIF_OFF(f) offsetof(struct conf_adv_if, f)
#define AIF_VISITOR_LIMIT 9     /* index of visitor-limit below */
static const struct attr_def adv_if_attrs[] = {
	{ "name", parse_ifname, AIF_OFF(name), 0, 0, ATTR_REQUIRED },
	{ "advertise", parse_bool, AIF_OFF(advertise), 0, 0, 0 },
	{ "advertisement-address", parse_adv_address, AIF_OFF(adv_address), 0, 0, 0 },
	{ "min-interval", parse_uint, AIF_OFF(min_interval), 3, 1800, 0 },
	{ "max-interval", parse_uint, AIF_OFF(max_interval), 4, 1800, 0 },
	{ "advertisement-lifetime", parse_uint, AIF_OFF(adv_lifetime), 4, 9000, 0 },
	{ "max-registration-lifetime", parse_uint, AIF_OFF(max_lifetime), 1, 65535, 0 },
	{ "prefix-length-inclusion", parse_bool, AIF_OFF(prefix_length_inclusion), 0, 0, 0 },
	{ "response-solicitation-only", parse_bool, AIF_OFF(solicitation_only), 0, 0, 0 },
	{ "visitor-limit", parse_uint, AIF_OFF(visitor_limit), 0, UINT_MAX, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

/* An interface's own visitor limit, kept apart from the inherited default. */
static void done_fa_if(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	(void)p, (void)n;
	((struct conf_adv_if *)obj)->visitor_limit_set = seen & (1u << AIF_VISITOR_LIMIT);
}

static void done_ha_if(struct pctx *p, xmlNode *n, void *obj, unsigned seen)
{
	(void)obj;
	if (seen & (1u << AIF_VISITOR_LIMIT))
		perr(p, line_of(n), "<interface> visitor-limit: only on a foreign agent's interface");
}

static void adv_if_defaults(struct conf_adv_if *i, xmlNode *n)
{
	i->advertise = true;
	i->adv_address.s_addr = htonl(0xe0000001);     /* 224.0.0.1 */
	i->line = int_line(n);
}

static void *open_fa_if(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_foreign_agent *fa = parent;
	struct conf_adv_if *i = append(&fa->ifaces, &fa->n_ifaces, sizeof(*i));

	if (!i)
		return oom(p, n);
	adv_if_defaults(i, n);
	return i;
}

static void *open_ha_if(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_home_agent *ha = parent;

	ha->adv = calloc(1, sizeof(*ha->adv));
	if (!ha->adv)
		return oom(p, n);
	adv_if_defaults(ha->adv, n);
	return ha->adv;
}

/* <care-of-address address=""/> */
static const struct attr_def coa_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_coa, addr), 0, 0, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_coa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_adv_if *i = parent;
	struct conf_coa *coa = append(&i->coas, &i->n_coas, sizeof(*coa));

	if (!coa)
		return oom(p, n);
	coa->line = int_line(n);
	return coa;
}

static const struct elem_def coa_elem = {
	"care-of-address", coa_attrs, NULL, open_coa, NULL, false,
};
static const struct elem_def *const fa_if_children[] = { &coa_elem, NULL };
static const struct elem_def fa_if_elem = {
	"interface", adv_if_attrs, fa_if_children, open_fa_if, done_fa_if, false,
};
static const struct elem_def ha_if_elem = {
	"interface", adv_if_attrs, NULL, open_ha_if, done_ha_if, true,
};

/* <visitor address="" nai=""> <security-association/> </visitor> */
static const struct attr_def visitor_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_visitor, addr), 0, 0, ATTR_REQUIRED },
	{ "nai", parse_nai, offsetof(struct conf_visitor, nai), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_visitor(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_foreign_agent *fa = parent;
	struct conf_visitor *v = append(&fa->visitors, &fa->n_visitors, sizeof(*v));

	if (!v)
		return oom(p, n);
	v->line = int_line(n);
	return v;
}

static void *open_visitor_sa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_visitor *v = parent;

	return new_sa(p, n, &v->sas, &v->n_sas);
}

static const struct elem_def visitor_sa_elem = {
	"security-association", sa_attrs, NULL, open_visitor_sa, NULL, false,
};
static const struct elem_def *const visitor_children[] = { &visitor_sa_elem, NULL };
static const struct elem_def visitor_elem = {
	"visitor", visitor_attrs, visitor_children, open_visitor, NULL, false,
};

/* <home-agent-access default=""> <permit network=""/> <deny network=""/> */
static void *open_fa_access(struct pctx *p, xmlNode *n, void *parent, bool permit)
{
	struct conf_foreign_agent *fa = parent;
	struct conf_access *e = append(&fa->ha_access, &fa->n_ha_access, sizeof(*e));

	if (!e)
		return oom(p, n);
	e->permit = permit;
	e->line = int_line(n);
	e->net.line = e->line;
	return e;
}

static void *open_fa_permit(struct pctx *p, xmlNode *n, void *parent)
{
	return open_fa_access(p, n, parent, true);
}

static void *open_fa_deny(struct pctx *p, xmlNode *n, void *parent)
{
	return open_fa_access(p, n, parent, false);
}

static const struct elem_def fa_permit_elem = {
	"permit", access_entry_attrs, NULL, open_fa_permit, NULL, false,
};
static const struct elem_def fa_deny_elem = {
	"deny", access_entry_attrs, NULL, open_fa_deny, NULL, false,
};
static const struct attr_def fa_access_attrs[] = {
	{ "default", parse_permit, offsetof(struct conf_foreign_agent, ha_access_default_permit),
	  0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def *const fa_access_children[] = { &fa_permit_elem, &fa_deny_elem, NULL };
static const struct elem_def fa_access_elem = {
	"home-agent-access", fa_access_attrs, fa_access_children, NULL, NULL, true,
};

/* <foreign-agent> */
#define FA_OFF(f) offsetof(struct conf_foreign_agent, f)
static const struct attr_def fa_attrs[] = {
	{ "registration-required", parse_bool, FA_OFF(registration_required), 0, 0, 0 },
	{ "visitor-limit", parse_uint, FA_OFF(visitor_limit), 0, UINT_MAX, 0 },
	{ "max-registration-lifetime", parse_uint, FA_OFF(max_lifetime), 1, 65535, 0 },
	{ "pending-timeout", parse_uint, FA_OFF(pending_timeout), 1, 3600, 0 },
	{ "max-pending-per-node", parse_uint, FA_OFF(max_pending), 1, 1000, 0 },
	{ "reverse-tunnel", parse_bool, FA_OFF(reverse_tunnel), 0, 0, 0 },
	{ "reverse-tunnel-required", parse_bool, FA_OFF(reverse_tunnel_required), 0, 0, 0 },
	{ "minimal-encapsulation", parse_bool, FA_OFF(encaps_minimal), 0, 0, 0 },
	{ "gre-encapsulation", parse_bool, FA_OFF(encaps_gre), 0, 0, 0 },
	{ "icmp-code", parse_icmp_code, FA_OFF(icmp_code), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_fa(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_foreign_agent *fa = &c->fa;

	(void)p;
	fa->enabled = true;
	fa->line = int_line(n);
	fa->max_lifetime = MIP_CONF_DEFAULT_FA_LIFETIME;
	fa->pending_timeout = MIP_CONF_DEFAULT_PENDING_TIMEOUT;
	fa->max_pending = MIP_CONF_DEFAULT_MAX_PENDING;
	fa->reverse_tunnel = true;
	fa->encaps_minimal = true;
	fa->encaps_gre = true;
	fa->icmp_code = 16;
	fa->ha_access_default_permit = true;
	return fa;
}

static const struct elem_def *const fa_children[] = {
	&fa_if_elem, &visitor_elem, &fa_access_elem, NULL
};
static const struct elem_def fa_elem = {
	"foreign-agent", fa_attrs, fa_children, open_fa, NULL, true,
};

/* <home-agent> */
#define HA_OFF(f) offsetof(struct conf_home_agent, f)
static const struct attr_def ha_attrs[] = {
	{ "address", parse_addr, HA_OFF(address), 0, 0, ATTR_REQUIRED },
	{ "interface", parse_ifname, HA_OFF(interface), 0, 0, 0 },
	{ "home-network", parse_prefix, HA_OFF(home_network), 1, 32, 0 },
	{ "max-registration-lifetime", parse_uint, HA_OFF(max_lifetime), 1, 65535, 0 },
	{ "max-bindings", parse_uint, HA_OFF(max_bindings), 1, 65535, 0 },
	{ "max-total-bindings", parse_uint, HA_OFF(max_total_bindings), 0, UINT_MAX, 0 },
	{ "reverse-tunnel", parse_bool, HA_OFF(reverse_tunnel), 0, 0, 0 },
	{ "reverse-tunnel-required", parse_bool, HA_OFF(reverse_tunnel_required), 0, 0, 0 },
	{ "minimal-encapsulation", parse_bool, HA_OFF(encaps_minimal), 0, 0, 0 },
	{ "gre-encapsulation", parse_bool, HA_OFF(encaps_gre), 0, 0, 0 },
	{ "broadcast", parse_bool, HA_OFF(broadcast), 0, 0, 0 },
	{ "collocated", parse_bool, HA_OFF(collocated), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ha(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_home_agent *ha = &c->ha;

	(void)p;
	ha->enabled = true;
	ha->line = int_line(n);
	ha->home_network.line = ha->line;
	ha->max_lifetime = 1800;
	ha->max_bindings = 1;
	ha->max_total_bindings = 0;
	ha->reverse_tunnel = true;
	ha->reverse_tunnel_required = false;
	ha->encaps_minimal = true;
	ha->encaps_gre = true;
	ha->broadcast = false;
	ha->collocated = true;
	ha->access_default_permit = true;
	return ha;
}

static const struct elem_def *const ha_children[] = {
	&vnet_elem, &access_elem, &node_elem, &ha_if_elem, NULL
};
static const struct elem_def ha_elem = {
	"home-agent", ha_attrs, ha_children, open_ha, NULL, true,
};

/* ---- <ipsec> of a peer (xfrm.h) ---- */

/* IPsec algorithm names and their SADB numbers (linux/pfkeyv2.h): the bits
 * of an XFRM template's ealgos / aalgos masks. */
static const struct {
	const char *name;
	bool auth;
	uint8_t sadb;
} ipsec_algs[] = {
	{ "3des-cbc", false, 3 }, { "null", false, 11 }, { "aes-cbc", false, 12 },
	{ "aes-ctr", false, 13 }, { "aes-ccm", false, 16 }, { "aes-gcm", false, 20 },
	{ "hmac-md5", true, 2 }, { "hmac-sha1", true, 3 }, { "hmac-sha256", true, 5 },
	{ "hmac-sha384", true, 6 }, { "hmac-sha512", true, 7 }, { "aes-xcbc", true, 9 },
};
#define IPSEC_N_ALGS (sizeof(ipsec_algs) / sizeof(ipsec_algs[0]))

const char *conf_ipsec_algs_str(const struct conf_ipsec_policy *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < IPSEC_N_ALGS; i++) {
		uint32_t mask = ipsec_algs[i].auth ? p->aalgos : p->ealgos;
		int n;

		if (!(mask & (1u << ipsec_algs[i].sadb)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o ? " " : "", ipsec_algs[i].name);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* algorithms="aes-cbc hmac-sha256 ...": into a struct conf_ipsec_policy (@dst). */
static const char *parse_ipsec_algs(const struct attr_def *a, const char *s, void *dst, char *why,
				    size_t whylen)
{
	struct conf_ipsec_policy *p = dst;
	uint32_t e = 0, au = 0;

	(void)a;
	while (*s) {
		size_t n = strcspn(s, " \t"), i;

		for (i = 0; n && i < IPSEC_N_ALGS; i++)
			if (strlen(ipsec_algs[i].name) == n && !strncmp(s, ipsec_algs[i].name, n))
				break;
		if (n && i == IPSEC_N_ALGS) {
			snprintf(why, whylen, "unknown IPsec algorithm \"%.*s\"", n > 20 ? 20 : (int)n, s);
			return why;
		}
		if (n)
			*(ipsec_algs[i].auth ? &au : &e) |= 1u << ipsec_algs[i].sadb;
		s += n;
		s += strspn(s, " \t");
	}
	if (!e && !au)
		return "no algorithm named";
	p->ealgos = e;
	p->aalgos = au;
	return NULL;
}

static const char *parse_ipsec_mode(const struct attr_def *a, const char *s, void *dst, char *why,
				    size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "transport") && strcmp(s, "tunnel"))
		return "not an IPsec mode (transport, tunnel)";
	*(bool *)dst = !strcmp(s, "tunnel");
	return NULL;
}

static const char *parse_ipsec_proto(const struct attr_def *a, const char *s, void *dst, char *why,
				     size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "esp") && strcmp(s, "ah"))
		return "not an IPsec protocol (esp, ah)";
	*(bool *)dst = !strcmp(s, "ah");
	return NULL;
}

static const char *parse_ipsec_level(const struct attr_def *a, const char *s, void *dst, char *why,
				     size_t whylen)
{
	(void)a, (void)why, (void)whylen;
	if (strcmp(s, "required") && strcmp(s, "use"))
		return "not an IPsec level (required, use)";
	*(bool *)dst = !strcmp(s, "use");
	return NULL;
}

#define IPP_OFF(f) offsetof(struct conf_ipsec_policy, f)
static const struct attr_def ipsec_policy_attrs[] = {
	{ "mode", parse_ipsec_mode, IPP_OFF(tunnel), 0, 0, 0 },
	{ "protocol", parse_ipsec_proto, IPP_OFF(ah), 0, 0, 0 },
	{ "level", parse_ipsec_level, IPP_OFF(optional), 0, 0, 0 },
	{ "reqid", parse_u32, IPP_OFF(reqid), 1, UINT32_MAX, 0 },
	{ "spi", parse_u32, IPP_OFF(spi), 256, UINT32_MAX, 0 },
	{ "algorithms", parse_ipsec_algs, 0, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ipsec_policy(xmlNode *n, void *parent, enum conf_ipsec_traffic t)
{
	struct conf_ipsec_policy *pol = &((struct conf_ipsec *)parent)->policy[t];

	pol->present = true;
	pol->line = int_line(n);
	return pol;
}

static void *open_ipsec_request(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REQUEST);
}

static void *open_ipsec_reply(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REPLY);
}

static void *open_ipsec_forward(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_FORWARD);
}

static void *open_ipsec_reverse(struct pctx *p, xmlNode *n, void *parent)
{
	(void)p;
	return open_ipsec_policy(n, parent, CONF_IPSEC_REVERSE);
}

static const struct elem_def ipsec_request_elem = {
	"registration-request", ipsec_policy_attrs, NULL, open_ipsec_request, NULL, true,
};
static const struct elem_def ipsec_reply_elem = {
	"registration-reply", ipsec_policy_attrs, NULL, open_ipsec_reply, NULL, true,
};
static const struct elem_def ipsec_forward_elem = {
	"forward-tunnel", ipsec_policy_attrs, NULL, open_ipsec_forward, NULL, true,
};
static const struct elem_def ipsec_reverse_elem = {
	"reverse-tunnel", ipsec_policy_attrs, NULL, open_ipsec_reverse, NULL, true,
};

static const struct attr_def ipsec_attrs[] = {
	{ "local-address", parse_addr, offsetof(struct conf_ipsec, local), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_ipsec(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf_peer *peer = parent;

	(void)p;
	peer->ipsec.present = true;
	peer->ipsec.line = int_line(n);
	return &peer->ipsec;
}

static const struct elem_def *const ipsec_children[] = {
	&ipsec_request_elem, &ipsec_reply_elem, &ipsec_forward_elem, &ipsec_reverse_elem, NULL
};
static const struct elem_def ipsec_elem = {
	"ipsec", ipsec_attrs, ipsec_children, open_ipsec, NULL, true,
};

/* <peer address=""> */
static const struct attr_def peer_attrs[] = {
	{ "address", parse_addr, offsetof(struct conf_peer, addr), 0, 0, ATTR_REQUIRED },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_peer(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;
	struct conf_peer *peer = append(&c->peers, &c->n_peers, sizeof(*peer));

	if (!peer)
		return oom(p, n);
	peer->line = int_line(n);
	return peer;
}

static const struct elem_def *const peer_children[] = { &peer_sa_elem, &ipsec_elem, NULL };
static const struct elem_def peer_elem = {
	"peer", peer_attrs, peer_children, open_peer, NULL, false,
};

/* <general> */
#define GEN_OFF(f) offsetof(struct conf, f)
static const struct attr_def general_attrs[] = {
	{ "log-level", parse_loglevel, GEN_OFF(log_level), 0, 0, 0 },
	{ "state-dir", parse_path, GEN_OFF(state_dir), 0, 0, 0 },
	{ "control-socket", parse_path, GEN_OFF(control_socket), 0, SUN_PATH_MAX, 0 },
	{ "allow-reserved-spi", parse_bool, GEN_OFF(allow_reserved_spi), 0, 0, 0 },
	{ "state-fsync", parse_bool, GEN_OFF(state_fsync), 0, 0, 0 },
	{ "user", parse_user, GEN_OFF(user), 0, 0, 0 },
	{ "mip-enable", parse_bool, GEN_OFF(mip_enable), 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};
static const struct elem_def general_elem = {
	"general", general_attrs, NULL, NULL, NULL, true,
};

/* <snmp agentx-socket="" ping-interval=""> */
#define SNMP_OFF(f) offsetof(struct conf_snmp, f)
static const struct attr_def snmp_attrs[] = {
	{ "agentx-socket", parse_agentx, SNMP_OFF(agentx_socket), 0, SUN_PATH_MAX, 0 },
	{ "ping-interval", parse_uint, SNMP_OFF(ping_interval), 1, 3600, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_snmp(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	c->snmp.enabled = true;
	c->snmp.line = int_line(n);
	return &c->snmp;
}

static const struct elem_def snmp_elem = {
	"snmp", snmp_attrs, NULL, open_snmp, NULL, true,
};

/* <data-plane backend="" tunnel-mtu="" gratuitous-arp-count=""> */
#define DP_OFF(f) offsetof(struct conf_data_plane, f)
static const struct attr_def dp_attrs[] = {
	{ "backend", parse_backend, DP_OFF(backend), 0, 0, 0 },
	{ "tunnel-mtu", parse_uint, DP_OFF(tunnel_mtu), 576, 65515, 0 },
	{ "gratuitous-arp-count", parse_uint, DP_OFF(gratuitous_arp_count), 0, 10, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_dp(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	c->dp.present = true;
	c->dp.line = int_line(n);
	c->dp.tunnel_mtu = MIP_CONF_DEFAULT_TUNNEL_MTU;
	c->dp.gratuitous_arp_count = MIP_CONF_DEFAULT_GARP_COUNT;
	return &c->dp;
}

static const struct elem_def dp_elem = {
	"data-plane", dp_attrs, NULL, open_dp, NULL, true,
};

/* <limits> */
void conf_limits_defaults(struct conf_limits *l)
{
	l->source_rate = MIP_CONF_DEFAULT_SOURCE_RATE;
	l->source_burst = MIP_CONF_DEFAULT_SOURCE_BURST;
	l->rate = MIP_CONF_DEFAULT_RATE;
	l->burst = MIP_CONF_DEFAULT_BURST;
	l->trusted_rate = MIP_CONF_DEFAULT_TRUSTED_RATE;
	l->trusted_burst = MIP_CONF_DEFAULT_TRUSTED_BURST;
	l->max_sources = MIP_CONF_DEFAULT_MAX_SOURCES;
	l->log_rate = MIP_CONF_DEFAULT_LOG_RATE;
	l->log_burst = MIP_CONF_DEFAULT_LOG_BURST;
	l->max_pending = MIP_CONF_DEFAULT_MAX_PENDING_TOTAL;
	l->socket_buffer = MIP_CONF_DEFAULT_SOCKET_BUFFER;
}

#define LIM_OFF(f) offsetof(struct conf_limits, f)
static const struct attr_def limits_attrs[] = {
	{ "source-rate", parse_uint, LIM_OFF(source_rate), 0, 1000000, 0 },
	{ "source-burst", parse_uint, LIM_OFF(source_burst), 1, 1000000, 0 },
	{ "rate", parse_uint, LIM_OFF(rate), 0, 10000000, 0 },
	{ "burst", parse_uint, LIM_OFF(burst), 1, 10000000, 0 },
	{ "trusted-rate", parse_uint, LIM_OFF(trusted_rate), 0, 10000000, 0 },
	{ "trusted-burst", parse_uint, LIM_OFF(trusted_burst), 1, 10000000, 0 },
	{ "max-sources", parse_uint, LIM_OFF(max_sources), 1, 1048576, 0 },
	{ "log-rate", parse_uint, LIM_OFF(log_rate), 0, 100000, 0 },
	{ "log-burst", parse_uint, LIM_OFF(log_burst), 1, 100000, 0 },
	{ "max-pending", parse_uint, LIM_OFF(max_pending), 0, 1048576, 0 },
	{ "socket-buffer", parse_uint, LIM_OFF(socket_buffer), 0, 1u << 30, 0 },
	{ NULL, NULL, 0, 0, 0, 0 },
};

static void *open_limits(struct pctx *p, xmlNode *n, void *parent)
{
	struct conf *c = parent;

	(void)p;
	conf_limits_defaults(&c->limits);
	c->limits.present = true;
	c->limits.line = int_line(n);
	return &c->limits;
}

static const struct elem_def limits_elem = {
	"limits", limits_attrs, NULL, open_limits, NULL, true,
};

/* <mipagent>: the root.  New roles go into root_children. */
static const struct attr_def no_attrs[] = { { NULL, NULL, 0, 0, 0, 0 } };
static const struct elem_def *const root_children[] = {
	&general_elem, &ha_elem, &fa_elem, &peer_elem, &snmp_elem, &dp_elem, &limits_elem, NULL
};
static const struct elem_def root_elem = {
	"mipagent", no_attrs, root_children, NULL, NULL, true,
};

/* ---- the tree walk ---- */

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

static unsigned parse_attrs(struct pctx *p, const struct elem_def *d, xmlNode *n, void *obj)
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

static bool blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (!isspace(*s))
			return false;
	return true;
}

/* The line of the first non-blank character of text node @k. */
static long text_line(xmlNode *k)
{
	const xmlChar *s = k->content;
	long line;

	if (!k->_private) {
		/* libxml2's line: where the text ended */
		line = xmlGetLineNo(k);
		while (s && *s && isspace(*s))
			s++;
		for (; s && *s; s++)
			line -= *s == '\n';
		return line;
	}
	line = (long)(intptr_t)k->_private;
	for (; s && *s && isspace(*s); s++)
		line += *s == '\n';
	return line;
}

static void unknown_element(struct pctx *p, xmlNode *k)
{
	if (k->ns && k->ns->href)
		perr(p, line_of(k), "unknown element <%s> (in namespace %s)", (const char *)k->name,
		     (const char *)k->ns->href);
	else
		perr(p, line_of(k), "unknown element <%s>", (const char *)k->name);
}

static void walk(struct pctx *p, const struct elem_def *d, xmlNode *n, void *parent);

static void walk_children(struct pctx *p, const struct elem_def *d, xmlNode *n, void *obj)
{
	long first_line[CONF_MAX_CHILDREN] = { 0 };
	bool text_reported = false;
	xmlNode *k;

	for (k = n->children; k; k = k->next) {
		size_t i;

		if (k->type == XML_ENTITY_REF_NODE) {
			perr(p, line_of(k), "unexpected entity reference &%s; in <%s>",
			     (const char *)k->name, d->name);
			continue;
		}
		if ((k->type == XML_TEXT_NODE && !blank(k->content)) ||
		    k->type == XML_CDATA_SECTION_NODE) {
			if (!text_reported)
				perr(p, k->type == XML_TEXT_NODE ? text_line(k) : line_of(k),
				     "unexpected text in <%s>", d->name);
			text_reported = true;
			continue;
		}
		if (k->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; d->children && d->children[i]; i++)
			if (!k->ns && !strcmp(d->children[i]->name, (const char *)k->name))
				break;
		if (!d->children || !d->children[i]) {
			unknown_element(p, k);
			continue;
		}
		if (d->children[i]->once && i < CONF_MAX_CHILDREN && first_line[i]) {
			perr(p, line_of(k), "duplicate <%s> (first at line %ld)",
			     d->children[i]->name, first_line[i]);
			continue;
		}
		if (i < CONF_MAX_CHILDREN)
			first_line[i] = line_of(k) > 0 ? line_of(k) : 1;
		walk(p, d->children[i], k, obj);
	}
}

static void walk(struct pctx *p, const struct elem_def *d, xmlNode *n, void *parent)
{
	void *obj = d->open ? d->open(p, n, parent) : parent;
	unsigned seen;

	if (!obj)
		return;
	seen = parse_attrs(p, d, n, obj);
	if (d->done)
		d->done(p, n, obj, seen);
	walk_children(p, d, n, obj);
}

static struct conf *conf_new(const char *name)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->mip_enable = true;
	c->path = strdup(name);
	if (!c->path) {
		free(c);
		return NULL;
	}
	c->log_level = LOG_LVL_INFO;
	return c;
}

static void build(struct pctx *p, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);

	if (!root) {
		perr(p, 0, "no root element");
		return;
	}
	if (root->ns && root->ns->href) {
		perr(p, line_of(root), "root element <%s> must not be in a namespace (%s)",
		     (const char *)root->name, (const char *)root->ns->href);
		return;
	}
	if (strcmp((const char *)root->name, root_elem.name)) {
		perr(p, line_of(root), "root element must be <%s>, not <%s>", root_elem.name,
		     (const char *)root->name);
		return;
	}
	p->c = conf_new(p->name);
	if (!p->c) {
		perr(p, 0, "out of memory");
		return;
	}
	walk(p, &root_elem, root, p->c);
}

/* Parse @len bytes at @xml with libxml2 errors routed to @p, then build. */
static struct conf *parse_buffer(struct pctx *p, const char *xml, size_t len)
{
	xmlExternalEntityLoader old_loader;
	xmlGenericErrorFunc old_generic;
	xmlStructuredErrorFunc old_structured;
	void *old_generic_ctx, *old_structured_ctx;
	xmlParserCtxtPtr ctxt;
	xmlDoc *doc = NULL;

	if (len > INT_MAX) {
		perr(p, 0, "file too large");
		return NULL;
	}
	xmlInitParser();
	old_loader = xmlGetExternalEntityLoader();
	old_generic = xmlGenericError;
	old_generic_ctx = xmlGenericErrorContext;
	old_structured = xmlStructuredError;
	old_structured_ctx = xmlStructuredErrorContext;
	xmlSetExternalEntityLoader(no_entity_loader);
	xmlSetGenericErrorFunc(p, xml_generic_error);
	xmlSetStructuredErrorFunc(p, xml_global_error);

	ctxt = xmlNewParserCtxt();
	if (ctxt) {
		ctxt->_private = p;
		sax_wrap(p, ctxt);
		doc = xmlCtxtReadMemory(ctxt, xml, (int)len, p->name, NULL, CONF_XML_OPTIONS);
		ctxt->_private = NULL;
	} else {
		perr(p, 0, "out of memory");
	}
	if (doc && p->errors == 0)
		build(p, doc);
	else if (p->errors == 0)
		perr(p, 0, "cannot parse the XML document");

	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	xmlSetExternalEntityLoader(old_loader);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	if (p->errors) {
		conf_free(p->c);
		return NULL;
	}
	return p->c;
}

struct conf *conf_parse_memory(const char *name, const char *xml, size_t len, FILE *err)
{
	struct pctx p = { .name = name ? name : "(memory)", .err = err };

	return parse_buffer(&p, xml, len);
}

/* Read all of @f (at most CONF_MAX_FILE bytes) into a new buffer. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		char *nb;

		n += got;
		if (n < cap) {
			if (ferror(f))
				break;
			*len = n;
			return buf;
		}
		if (cap >= CONF_MAX_FILE) {
			errno = EFBIG;
			break;
		}
		nb = realloc(buf, cap * 2);
		if (!nb)
			break;
		buf = nb;
		cap *= 2;
	}
	if (buf) {
		explicit_bzero(buf, n);
		free(buf);
	}
	return NULL;
}

struct conf *conf_parse_file(const char *path, FILE *err)
{
	struct pctx p = { .name = path, .err = err };
	struct conf *c;
	size_t len = 0;
	char *buf;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		perr(&p, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	errno = 0;
	buf = read_all(f, &len);
	if (!buf)
		perr(&p, 0, "cannot read: %s", errno ? strerror(errno) : "I/O error");
	fclose(f);
	if (!buf)
		return NULL;
	c = parse_buffer(&p, buf, len);
	explicit_bzero(buf, len);   /* it holds the keys */
	free(buf);
	return c;
}

static void free_sas(struct conf_sa *sas, size_t n)
{
	if (sas)
		explicit_bzero(sas, n * sizeof(*sas));
	free(sas);
}

void conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->ha.n_nodes; i++) {
		free_sas(c->ha.nodes[i].sas, c->ha.nodes[i].n_sas);
		free(c->ha.nodes[i].nai);
	}
	free(c->ha.nodes);
	free(c->ha.virtual_networks);
	free(c->ha.access);
	if (c->ha.adv)
		free(c->ha.adv->coas);
	free(c->ha.adv);
	for (i = 0; i < c->fa.n_ifaces; i++)
		free(c->fa.ifaces[i].coas);
	free(c->fa.ifaces);
	for (i = 0; i < c->fa.n_visitors; i++) {
		free_sas(c->fa.visitors[i].sas, c->fa.visitors[i].n_sas);
		free(c->fa.visitors[i].nai);
	}
	free(c->fa.visitors);
	free(c->fa.ha_access);
	for (i = 0; i < c->n_peers; i++)
		free_sas(c->peers[i].sas, c->peers[i].n_sas);
	free(c->peers);
	free(c->path);
	free(c->state_dir);
	free(c->control_socket);
	free(c->snmp.agentx_socket);
	free(c->user);
	free(c);
}
