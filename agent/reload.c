/* Configuration reload and run-time changes: validate a fresh configuration, write it back, swap it in (see reload.h). */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include "conf_write.h"
#include "daemon.h"
#include "ha.h"
#include "log.h"
#include "reload.h"
#include "sdnotify.h"

#define RELOAD_MAX_HOOKS 16

static struct {
	reload_check_fn check;
	reload_apply_fn apply;
	void *arg;
} hooks[RELOAD_MAX_HOOKS];

/* Old configurations a module without a hook may still point into. */
struct retired {
	struct retired *next;
	struct conf *c;
};
static struct retired *retired;

/* The configuration file and its identity when we last read or wrote it. */
static char conf_path[PATH_MAX];
static struct file_id {
	bool known;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} conf_id;

int reload_hook_add(reload_check_fn check, reload_apply_fn apply, void *arg)
{
	for (int i = 0; i < RELOAD_MAX_HOOKS; i++)
		if (!hooks[i].apply) {
			hooks[i].check = check;
			hooks[i].apply = apply;
			hooks[i].arg = arg;
			return 0;
		}
	log_warnx("conf", "too many reload hooks");
	return -1;
}

void reload_hook_del(reload_apply_fn apply, void *arg)
{
	for (int i = 0; i < RELOAD_MAX_HOOKS; i++)
		if (hooks[i].apply == apply && hooks[i].arg == arg)
			memset(&hooks[i], 0, sizeof(hooks[i]));
}

bool reload_hook_registered(const void *arg)
{
	for (int i = 0; i < RELOAD_MAX_HOOKS; i++)
		if (hooks[i].apply && hooks[i].arg == arg)
			return true;
	return false;
}

static struct file_id file_id_of(const char *path)
{
	struct file_id id = { 0 };
	struct stat st;

	if (stat(path, &st) == 0) {
		id.known = true;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		id.size = st.st_size;
		id.mtime = st.st_mtim;
	}
	return id;
}

static bool file_id_same(const struct file_id *a, const struct file_id *b)
{
	return a->known && b->known && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int reload_init(struct mip_daemon *d)
{
	char *abs = realpath(d->conf_path, NULL);

	snprintf(conf_path, sizeof(conf_path), "%s", abs ? abs : d->conf_path);
	if (!abs)
		log_warn("conf", "realpath %s", d->conf_path);
	free(abs);
	conf_id = file_id_of(conf_path);
	return abs ? 0 : -1;
}

const char *reload_conf_path(void)
{
	return conf_path;
}

static void wipe_sas(struct conf_sa *sas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(sas[i].key, sizeof(sas[i].key));
		sas[i].keylen = 0;
	}
}

/* Keep @c for a module that may still point into it, but without its keys:
 * a key removed by the change must not remain usable anywhere. */
static void retire(struct conf *c)
{
	struct retired *r = calloc(1, sizeof(*r));
	size_t i;

	if (!r) {
		log_warnx("conf", "out of memory: an old configuration is leaked");
		return;
	}
	for (i = 0; i < c->ha.n_nodes; i++)
		wipe_sas(c->ha.nodes[i].sas, c->ha.nodes[i].n_sas);
	for (i = 0; i < c->n_peers; i++)
		wipe_sas(c->peers[i].sas, c->peers[i].n_sas);
	for (i = 0; i < c->fa.n_visitors; i++)
		wipe_sas(c->fa.visitors[i].sas, c->fa.visitors[i].n_sas);
	r->c = c;
	r->next = retired;
	retired = r;
}

void reload_cleanup(void)
{
	while (retired) {
		struct retired *r = retired;

		retired = r->next;
		conf_free(r->c);
		free(r);
	}
}

size_t reload_ha(struct mip_ha *ha, const struct conf *new)
{
	struct mip_node *n, *next;
	size_t removed = 0;

	ha->conf = new;
	for (n = node_first(&ha->nodes); n; n = next) {
		const struct conf_node *cn = new->ha.enabled ? conf_find_node(&new->ha, n->hoa) : NULL;

		next = node_next(&ha->nodes, n->hoa);
		if (cn) {
			n->conf = cn;
			continue;
		}
		if (n->n_bindings) {
			char a[INET_ADDRSTRLEN];

			log_info("conf", "mobile node %s is no longer configured: its bindings are removed",
				 inet_ntop(AF_INET, &n->hoa, a, sizeof(a)));
		}
		removed += ha_clear_bindings(ha, n->hoa);
		node_remove(&ha->nodes, n);
	}
	return removed;
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* The element <@tag ...> ... </@tag> (or <@tag .../>) of @xml at or after
 * @from, or NULL; its length in *@len. */
static const char *xml_section(const char *xml, const char *from, const char *tag, size_t *len)
{
	char open[40], close[40];
	const char *p, *e, *gt;

	snprintf(open, sizeof(open), "<%s ", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	p = strstr(from ? from : xml, open);
	if (!p)
		return NULL;
	gt = strchr(p, '>');
	if (gt && gt[-1] == '/')
		e = gt + 1;
	else if ((e = strstr(p, close)))
		e += strlen(close);
	else
		return NULL;
	*len = (size_t)(e - p);
	return p;
}

static bool xml_section_differs(const char *a, const char *b, const char *tag, const char *within)
{
	size_t la = 0, lb = 0, wa = 0, wb = 0;
	const char *ia = within ? xml_section(a, NULL, within, &wa) : a;
	const char *ib = within ? xml_section(b, NULL, within, &wb) : b;
	const char *sa = ia ? xml_section(a, ia, tag, &la) : NULL;
	const char *sb = ib ? xml_section(b, ib, tag, &lb) : NULL;

	if (within) {           /* only inside the enclosing element */
		if (sa && sa >= ia + wa)
			sa = NULL;
		if (sb && sb >= ib + wb)
			sb = NULL;
	}
	return (sa == NULL) != (sb == NULL) || (sa && (la != lb || memcmp(sa, sb, la)));
}

/* Settings the running daemon cannot change: they take effect at restart. */
static void restart_warnings(struct mip_daemon *d, const struct conf *o, const struct conf *n,
			     FILE *err)
{
	const char *what[16];
	size_t k = 0;

	/* modules of the foreign agent role without a reload hook keep the
	 * configuration they started with */
	if ((d->fa && !reload_hook_registered(d->fa)) || (d->adv && !reload_hook_registered(d->adv))) {
		size_t lo = 0, ln = 0;
		char *xo = conf_write_xml(o, &lo), *xn = conf_write_xml(n, &ln);

		if (xo && xn && xml_section_differs(xo, xn, "foreign-agent", NULL))
			what[k++] = "foreign-agent";
		if (xo && xn && xml_section_differs(xo, xn, "interface", "home-agent"))
			what[k++] = "home-agent interface (advertisements)";
		conf_write_free(xo, lo);
		conf_write_free(xn, ln);
	}

	if (str_differs(o->state_dir, n->state_dir))
		what[k++] = "state-dir";
	if (str_differs(o->control_socket, n->control_socket))
		what[k++] = "control-socket";
	if (o->state_fsync != n->state_fsync)
		what[k++] = "state-fsync";
	if (o->snmp.enabled != n->snmp.enabled || o->snmp.ping_interval != n->snmp.ping_interval ||
	    str_differs(o->snmp.agentx_socket, n->snmp.agentx_socket))
		what[k++] = "snmp";
	if (o->dp.backend != n->dp.backend || o->dp.tunnel_mtu != n->dp.tunnel_mtu ||
	    o->dp.gratuitous_arp_count != n->dp.gratuitous_arp_count)
		what[k++] = "data-plane";
	if (o->ha.address.s_addr != n->ha.address.s_addr)
		what[k++] = "home-agent address (data plane)";
	if (strncmp(o->ha.interface, n->ha.interface, sizeof(o->ha.interface)))
		what[k++] = "home-agent interface";
	if (o->ha.home_network.addr.s_addr != n->ha.home_network.addr.s_addr ||
	    o->ha.home_network.len != n->ha.home_network.len)
		what[k++] = "home-network (data plane)";
	for (size_t i = 0; i < k; i++) {
		log_warnx("conf", "%s changed: it takes effect at the next restart", what[i]);
		if (err)
			fprintf(err, "warning: %s changed: it takes effect at the next restart\n", what[i]);
	}
}

/* Can the running daemon take @new?  Refusals are printed to @err. */
static int reload_can_apply(struct mip_daemon *d, const struct conf *new, FILE *err)
{
	if (d->ha_up != new->ha.enabled) {
		fprintf(err, "%s the home agent needs a restart\n",
			new->ha.enabled ? "enabling" : "disabling");
		return -1;
	}
	if ((d->fa != NULL) != new->fa.enabled && !(d->fa && reload_hook_registered(d->fa))) {
		fprintf(err, "%s the foreign agent needs a restart\n",
			new->fa.enabled ? "enabling" : "disabling");
		return -1;
	}
	for (int i = 0; i < RELOAD_MAX_HOOKS; i++)
		if (hooks[i].apply && hooks[i].check && hooks[i].check(d->conf, new, err, hooks[i].arg) < 0)
			return -1;
	return 0;
}

/* Does a module that keeps a pointer into the configuration lack a hook? */
static bool unhooked_holder(const struct mip_daemon *d)
{
	const void *holders[] = { d->dp, d->dp_fa, d->adv, d->fa };

	for (size_t i = 0; i < sizeof(holders) / sizeof(holders[0]); i++)
		if (holders[i] && !reload_hook_registered(holders[i]))
			return true;
	return false;
}

/* Swap @new in (it must have passed reload_can_apply()). */
static void reload_swap(struct mip_daemon *d, struct conf *new, FILE *err)
{
	struct conf *old = d->conf;
	size_t removed = 0;

	restart_warnings(d, old, new, err);
	if (d->ha_up)
		removed = reload_ha(&d->ha, new);
	d->conf = new;
	for (int i = 0; i < RELOAD_MAX_HOOKS; i++)
		if (hooks[i].apply)
			hooks[i].apply(old, new, hooks[i].arg);
	if (d->debug_level < 0)
		log_set_level(new->log_level);
	if (unhooked_holder(d))
		retire(old);        /* a module still points into it */
	else
		conf_free(old);
	log_info("conf", "configuration %s in force: %zu mobile node entries, %zu peers; %zu "
		 "binding(s) of nodes no longer configured removed", conf_path, new->ha.n_nodes,
		 new->n_peers, removed);
}

/* Remove every " (also at line N)" and " at line N" from @s: line numbers
 * of a file that was never written mean nothing to the user. */
static void strip_lines(char *s)
{
	static const char *const pats[] = { " (also at line ", " at line " };

	for (size_t i = 0; i < 2; i++) {
		char *p;

		while ((p = strstr(s, pats[i]))) {
			char *q = p + strlen(pats[i]);

			while (*q >= '0' && *q <= '9')
				q++;
			if (i == 0 && *q == ')')
				q++;
			memmove(p, q, strlen(q) + 1);
		}
	}
}

/* Send the lines of @text to @err and the log; @strip removes the "FILE:"
 * and "LINE:" prefixes and line references (for messages about a change,
 * not about a file). */
static void forward(const char *text, FILE *err, const char *prefix, bool strip)
{
	size_t plen = strlen(conf_path);
	char line[1024];

	while (text && *text) {
		const char *end = strchr(text, '\n'), *s = text;
		int len = end ? (int)(end - text) : (int)strlen(text);

		if (strip && !strncmp(s, conf_path, plen) && s[plen] == ':') {
			const char *p = s + plen + 1;

			while (*p >= '0' && *p <= '9')
				p++;
			if (*p == ':')
				p++;
			while (*p == ' ')
				p++;
			len -= (int)(p - s);
			s = p;
		}
		snprintf(line, sizeof(line), "%.*s", len, s);
		if (strip)
			strip_lines(line);
		log_warnx("conf", "%s%s", prefix, line);
		if (err)
			fprintf(err, "%s\n", line);
		if (!end)
			break;
		text = end + 1;
	}
}

int reload_config(struct mip_daemon *d, FILE *err)
{
	char *msgs = NULL;
	size_t msglen = 0;
	FILE *m = open_memstream(&msgs, &msglen);
	struct file_id id = file_id_of(conf_path);
	struct conf *new;
	int rc = -1;

	if (!m) {
		log_warn("conf", "open_memstream");
		return -1;
	}
	sdnotify("RELOADING=1\nSTATUS=reloading the configuration");
	log_info("conf", "reloading %s", conf_path);
	new = conf_parse_file(conf_path, m);
	if (new && conf_check(new, m) != 0) {
		conf_free(new);
		new = NULL;
	}
	if (new && reload_can_apply(d, new, m) < 0) {
		conf_free(new);
		new = NULL;
	}
	if (new) {
		fclose(m);
		m = NULL;
		forward(msgs, err, "", false);        /* warnings of a valid file */
		reload_swap(d, new, err);
		conf_id = id;
		rc = 0;
	} else {
		fclose(m);
		m = NULL;
		forward(msgs, err, "", false);
		log_warnx("conf", "the new configuration is refused; the running one stays in force");
	}
	free(msgs);
	sdnotifyf("READY=1\nSTATUS=%s", rc == 0 ? "running (configuration reloaded)" :
		  "running (the last reload was refused; see the log)");
	return rc;
}

/* Do @a and @b hold the same configuration?  Both are checked (sorted,
 * defaults filled); conf_print covers every setting but the keys. */
static bool sas_same(const struct conf_sa *a, size_t na, const struct conf_sa *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].keylen != b[i].keylen || memcmp(a[i].key, b[i].key, a[i].keylen))
			return false;
	return true;
}

static bool conf_same(const struct conf *a, const struct conf *b)
{
	char *pa = NULL, *pb = NULL;
	size_t la = 0, lb = 0, i;
	FILE *fa = open_memstream(&pa, &la), *fb = open_memstream(&pb, &lb);
	bool same = fa && fb;

	if (fa) {
		conf_print(a, fa);
		fclose(fa);
	}
	if (fb) {
		conf_print(b, fb);
		fclose(fb);
	}
	same = same && la == lb && !memcmp(pa, pb, la);
	free(pa);
	free(pb);
	if (!same || a->ha.n_nodes != b->ha.n_nodes || a->n_peers != b->n_peers ||
	    a->fa.n_visitors != b->fa.n_visitors)
		return false;
	for (i = 0; i < a->ha.n_nodes; i++)
		if (!sas_same(a->ha.nodes[i].sas, a->ha.nodes[i].n_sas, b->ha.nodes[i].sas,
			      b->ha.nodes[i].n_sas))
			return false;
	for (i = 0; i < a->n_peers; i++)
		if (!sas_same(a->peers[i].sas, a->peers[i].n_sas, b->peers[i].sas, b->peers[i].n_sas))
			return false;
	for (i = 0; i < a->fa.n_visitors; i++)
		if (!sas_same(a->fa.visitors[i].sas, a->fa.visitors[i].n_sas, b->fa.visitors[i].sas,
			      b->fa.visitors[i].n_sas))
			return false;
	return true;
}

int reload_commit(struct mip_daemon *d, struct conf *edited, FILE *err)
{
	char *msgs = NULL, *xml = NULL, why[PATH_MAX + 128];
	size_t msglen = 0, len = 0;
	FILE *m = open_memstream(&msgs, &msglen);
	struct file_id now;
	struct conf *new = NULL;
	int rc = -1;

	if (!m) {
		fprintf(err, "out of memory\n");
		conf_free(edited);
		return -1;
	}
	conf_check(edited, NULL);      /* sorted, defaults filled: comparable below */
	xml = conf_write_xml(edited, &len);
	if (!xml) {
		fprintf(err, "cannot write the configuration as XML\n");
		goto out;
	}
	/* the new configuration exactly as the file will hold it, checked as a whole */
	new = conf_parse_memory(conf_path, xml, len, m);
	if (new && conf_check(new, m) != 0) {
		conf_free(new);
		new = NULL;
	}
	fflush(m);
	if (!new) {
		forward(msgs, err, "change refused: ", true);
		goto out;
	}
	if (!conf_same(edited, new)) {
		log_warnx("conf", "internal error: the configuration writer does not keep every setting");
		fprintf(err, "internal error: the configuration would not be written back faithfully; "
			"nothing changed\n");
		goto out;
	}
	if (reload_can_apply(d, new, m) < 0) {
		fflush(m);
		forward(msgs, err, "change refused: ", true);
		goto out;
	}
	now = file_id_of(conf_path);
	if (!file_id_same(&now, &conf_id)) {
		log_warnx("conf", "change refused: %s was changed since mipagent read it", conf_path);
		fprintf(err, "%s was changed since mipagent read it: apply (or undo) that edit with "
			"\"mipagentconfig reload\" first, so that this change does not overwrite it\n",
			conf_path);
		goto out;
	}
	if (conf_write_file(conf_path, xml, len, why, sizeof(why)) < 0) {
		log_warnx("conf", "change refused: %s", why);
		fprintf(err, "%s; nothing changed\n", why);
		goto out;
	}
	conf_id = file_id_of(conf_path);
	log_info("conf", "configuration written to %s", conf_path);
	reload_swap(d, new, err);
	new = NULL;
	rc = 0;
out:
	fclose(m);
	free(msgs);
	conf_write_free(xml, len);
	conf_free(new);
	conf_free(edited);
	return rc;
}
