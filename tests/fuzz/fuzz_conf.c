/* libFuzzer harness: the configuration parser, checker and printer on arbitrary XML. */
/* fuzz-sources: agent/conf_parse.c agent/conf_attr.c agent/conf_elems.c agent/conf_elems_ha.c agent/conf_elems_fa.c agent/conf_check.c agent/conf_print.c agent/auth.c agent/log.c agent/buf.c agent/wire.c */
/* fuzz-pkg: libxml-2.0 libcrypto */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *out = devnull();
	struct conf *c = conf_parse_memory("fuzz.xml", (const char *)data, size, out);
	struct in_addr a;

	if (!c)
		return 0;
	if (conf_check(c, out) == 0) {
		/* after a clean check the look-ups must agree with the tables */
		for (size_t i = 0; i < c->ha.n_nodes; i++) {
			const struct conf_node *n = &c->ha.nodes[i];

			if (conf_find_node(&c->ha, n->first) != n || conf_find_node(&c->ha, n->last) != n)
				abort();
			for (size_t j = 0; j < n->n_sas; j++)
				if (conf_find_sa(n->sas, n->n_sas, n->sas[j].spi) != &n->sas[j])
					abort();
		}
		for (size_t i = 0; i < c->n_peers; i++)
			if (conf_find_peer(c, c->peers[i].addr) != &c->peers[i])
				abort();
	}
	a.s_addr = 0;
	memcpy(&a.s_addr, data, size < sizeof(a.s_addr) ? size : sizeof(a.s_addr));
	(void)conf_find_node(&c->ha, a);
	(void)conf_find_peer(c, a);
	conf_print(c, out);
	conf_free(c);
	return 0;
}
