/* Internals shared by the configuration parser's files: conf_parse.c (entry
 * points, libxml2, the tree walk), conf_attr.c (attribute values) and
 * conf_elems*.c (the element tables); see conf.h. */
#ifndef MIP_CONF_PARSE_INT_H
#define MIP_CONF_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "conf.h"

#define CONF_MAX_ATTRS 32      /* attributes per element: one bit each in a mask */

/* One parse of one document. */
struct pctx {
	const char *name;
	FILE *err;
	int errors;
	struct conf *c;
	xmlParserCtxtPtr ctxt;    /* the document's parser context */
	long last_line;           /* where its last SAX event ended */
};

/* ---- attributes ---- */

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

/* ---- conf_parse.c ---- */

/* Count an error and print it as "FILE:LINE: message" (no LINE if @line <= 0). */
void perr(struct pctx *p, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The line where element or node @n starts. */
long line_of(xmlNode *n);
/* line_of() clamped to an int, for the line fields of struct conf. */
int int_line(xmlNode *n);
/* Report "out of memory" at @n; returns NULL for an open handler to return. */
void *oom(struct pctx *p, xmlNode *n);

/* ---- conf_attr.c: attribute value parsers, NULL on success, else why ---- */

/* Decimal numbers within [min, max], into an unsigned or a uint32_t. */
const char *parse_uint(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen);
const char *parse_u32(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen);
/* An IPv4 address (struct in_addr). */
const char *parse_addr(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen);
/* ADDRESS/LENGTH into a struct conf_prefix, the length within [min, max]. */
const char *parse_prefix(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen);
/* true/false/yes/no/1/0, and permit/deny, into a bool. */
const char *parse_bool(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen);
const char *parse_permit(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen);
/* An absolute path of at most max characters (0: any), strdup'ed into a char *. */
const char *parse_path(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen);
/* A user name as useradd(8) takes it, strdup'ed into a char *. */
const char *parse_user(const struct attr_def *a, const char *s, void *dst, char *why,
		       size_t whylen);
/* The AgentX master's socket (path, unix:PATH or tcp:HOST:PORT), strdup'ed. */
const char *parse_agentx(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen);
/* auto/kernel/userspace into an enum conf_dp_backend. */
const char *parse_backend(const struct attr_def *a, const char *s, void *dst, char *why,
			  size_t whylen);
/* A Network Access Identifier (RFC 2794), strdup'ed into a char *. */
const char *parse_nai(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen);
/* An interface name into a char[IF_NAMESIZE]. */
const char *parse_ifname(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen);
/* error/warning/info/debug into an int LOG_LVL_*. */
const char *parse_loglevel(const struct attr_def *a, const char *s, void *dst, char *why,
			   size_t whylen);
/* An authentication algorithm and a replay method (auth.h). */
const char *parse_alg(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen);
const char *parse_replay(const struct attr_def *a, const char *s, void *dst, char *why,
			 size_t whylen);
/* A hex key into a struct conf_sa (@dst is the SA itself). */
const char *parse_key(const struct attr_def *a, const char *s, void *dst, char *why,
		      size_t whylen);

/* Parse @n's attributes into @obj by @d's table, reporting unknown, invalid
 * and missing required ones; bit i of the result: d->attrs[i] was present. */
unsigned parse_attrs(struct pctx *p, const struct elem_def *d, xmlNode *n, void *obj);

/* ---- conf_elems*.c: the element tables ---- */

/* Append a zeroed element to the array *@arrp (any T **) of *@n elements of
 * @size bytes; NULL if out of memory. */
void *append(void *arrp, size_t *n, size_t size);
/* A new <security-association> in the array *@sas of *@n_sas. */
void *new_sa(struct pctx *p, xmlNode *n, struct conf_sa **sas, size_t *n_sas);
/* A new <permit> (@permit) or <deny> in the access list *@list of *@count
 * entries (conf_elems_ha.c). */
void *new_access(struct pctx *p, xmlNode *n, struct conf_access **list, size_t *count, bool permit);

extern const struct attr_def sa_attrs[];           /* <security-association> */
extern const struct attr_def access_entry_attrs[]; /* <permit>, <deny> (conf_elems_ha.c) */
extern const struct elem_def ha_if_elem;           /* conf_elems_fa.c */
extern const struct elem_def ha_elem;              /* <home-agent>, conf_elems_ha.c */
extern const struct elem_def fa_elem;              /* <foreign-agent>, conf_elems_fa.c */
extern const struct elem_def root_elem;            /* <mipagent>, conf_elems.c */

#endif
