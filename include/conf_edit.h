/* Run-time changes to a configuration: the operations behind mipagentconfig
 * (and SNMP sets) on a private copy of the running struct conf.  The copy is
 * then validated as a whole, written back and swapped in by reload_commit()
 * (reload.h).  Setters take attribute names and values exactly as the XML
 * file spells them and answer in the same words as the file's parser. */
#ifndef MIP_CONF_EDIT_H
#define MIP_CONF_EDIT_H

#include <stddef.h>
#include <stdint.h>
#include "conf.h"

/** A deep copy of @c, made through its XML form (conf_write.h), so it holds
 *  exactly what would be written; checked.  NULL on failure (logged). */
struct conf *conf_copy(const struct conf *c);

/** The list of SAs at address @a: the mobile-node entry covering it (a
 *  single node or a range), else the peer agent, else the foreign agent's
 *  visitor with that address.  @desc gets "mobile-node 192.0.2.5" etc. */
struct conf_sa_list {
	struct conf_sa **sas;
	size_t *n;
	char desc[64];
};
int conf_edit_sa_list(struct conf *c, struct in_addr a, struct conf_sa_list *l);

/** Set one SA attribute ("key", "algorithm", "replay-method",
 *  "timestamp-tolerance") from its text; -1 with @why on a bad value. */
int conf_edit_sa_set(struct conf_sa *sa, const char *name, const char *value, char *why,
		     size_t whylen);
/** Append a new SA with @spi to @l (defaults: hmac-md5, timestamps, 7 s);
 *  NULL with @why if the SPI is already there or memory is short. */
struct conf_sa *conf_edit_sa_add(struct conf_sa_list *l, uint32_t spi, char *why, size_t whylen);
struct conf_sa *conf_edit_sa_find(struct conf_sa_list *l, uint32_t spi);
/** Remove the SA @spi from @l; -1 with @why when there is none. */
int conf_edit_sa_delete(struct conf_sa_list *l, uint32_t spi, char *why, size_t whylen);

/** Set one mobile-node attribute ("nai", "max-registration-lifetime",
 *  "max-bindings", "roam"); -1 with @why on a bad value. */
int conf_edit_node_set(struct conf_node *n, const char *name, const char *value, char *why,
		       size_t whylen);
/** The mobile-node entry exactly @first..@last (first == last: one node). */
struct conf_node *conf_edit_node_find(struct conf *c, struct in_addr first, struct in_addr last);
/** Append a mobile-node entry (no SA yet; roam true); NULL with @why if it
 *  exists already, there is no home agent, or memory is short. */
struct conf_node *conf_edit_node_add(struct conf *c, struct in_addr first, struct in_addr last,
				     char *why, size_t whylen);
int conf_edit_node_delete(struct conf *c, struct in_addr first, struct in_addr last, char *why,
			  size_t whylen);

/** Parse "A" or "A-B" (a node range); -1 if it is neither. */
int conf_edit_parse_range(const char *s, struct in_addr *first, struct in_addr *last);

#endif
