/* XML configuration file to struct conf with libxml2: the entry points, libxml2's
 * error handlers, start-line tracking and entity loader, and the walk of the
 * element tables (conf_elems*.c) over the document. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include "conf.h"
#include "conf_parse_int.h"
#include "log.h"

#define CONF_MAX_FILE (16 * 1024 * 1024)
#define CONF_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES)
#define CONF_MAX_CHILDREN 16   /* child element kinds per element (duplicate tracking) */

/* ---- error reporting ---- */

void perr(struct pctx *p, long line, const char *fmt, ...)
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

/* ---- element lines ---- */

long line_of(xmlNode *n)
{
	if (n->_private)
		return (long)(intptr_t)n->_private;
	return xmlGetLineNo(n);
}

int int_line(xmlNode *n)
{
	long l = line_of(n);

	return l > INT_MAX ? INT_MAX : (int)l;
}

void *oom(struct pctx *p, xmlNode *n)
{
	perr(p, line_of(n), "out of memory");
	return NULL;
}

/* ---- the tree walk ---- */

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
