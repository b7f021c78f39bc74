/* The configuration back to its XML file: struct conf to the mipagent.xml
 * format (libxml2's xmlTextWriter), and an atomic, durable replacement of
 * the file.  Used by mipagentconfig's changes (through the control socket)
 * and by SNMP sets, so both go through one code path (reload.h). */
#ifndef MIP_CONF_WRITE_H
#define MIP_CONF_WRITE_H

#include <stddef.h>
#include "conf.h"

/**
 * The XML document of @c (checked, defaults filled), keys included, in a new
 * NUL-terminated buffer of *@len bytes; NULL on failure (logged).  Every
 * setting is written explicitly, so the file reads the same whatever the
 * defaults of a later version.  Free it with conf_write_free(), which wipes
 * the keys.
 */
char *conf_write_xml(const struct conf *c, size_t *len);
void conf_write_free(char *xml, size_t len);

/**
 * Replace @path with @len bytes of @xml atomically and durably: a temporary
 * file in the same directory with the existing file's mode and owner,
 * written, fsync'd, renamed over @path, then the directory fsync'd.  On
 * failure nothing is changed, -1 is returned and @why says what failed.
 */
int conf_write_file(const char *path, const char *xml, size_t len, char *why, size_t whylen);

#endif
