/* struct conf back to mipagent.xml (libxml2 xmlTextWriter) and the atomic file replacement (see conf_write.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <libxml/xmlwriter.h>
#include "conf.h"
#include "conf_write.h"
#include "log.h"

/* One writer and the first error it met (later calls are no-ops). */
struct cw {
	xmlTextWriterPtr w;
	bool err;
};

static void cw_start(struct cw *x, const char *name)
{
	if (!x->err && xmlTextWriterStartElement(x->w, BAD_CAST name) < 0)
		x->err = true;
}

static void cw_end(struct cw *x)
{
	if (!x->err && xmlTextWriterEndElement(x->w) < 0)
		x->err = true;
}

static void cw_attr(struct cw *x, const char *name, const char *value)
{
	if (!x->err && xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0)
		x->err = true;
}

static void cw_uint(struct cw *x, const char *name, unsigned v)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", v);
	cw_attr(x, name, s);
}

/* A number whose 0 means "not set, use the default": written only when set. */
static void cw_uint_set(struct cw *x, const char *name, unsigned v)
{
	if (v)
		cw_uint(x, name, v);
}

static void cw_bool(struct cw *x, const char *name, bool v)
{
	cw_attr(x, name, v ? "true" : "false");
}

static void cw_addr(struct cw *x, const char *name, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	cw_attr(x, name, s);
}

static void cw_prefix(struct cw *x, const char *name, const struct conf_prefix *p)
{
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN + 4];

	inet_ntop(AF_INET, &p->addr, a, sizeof(a));
	snprintf(s, sizeof(s), "%s/%u", a, p->len);
	cw_attr(x, name, s);
}

static void cw_sas(struct cw *x, const struct conf_sa *sas, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char key[2 * MIP_KEY_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		const struct conf_sa *sa = &sas[i];
		const char *alg = mip_auth_alg_name(sa->alg);
		const char *replay = mip_replay_name(sa->replay);
		size_t k, len = sa->keylen < MIP_KEY_MAX ? sa->keylen : MIP_KEY_MAX;

		for (k = 0; k < len; k++) {
			key[2 * k] = hex[sa->key[k] >> 4];
			key[2 * k + 1] = hex[sa->key[k] & 15];
		}
		key[2 * len] = '\0';
		cw_start(x, "security-association");
		cw_uint(x, "spi", sa->spi);
		if (alg)
			cw_attr(x, "algorithm", alg);
		cw_attr(x, "key", key);
		if (replay)
			cw_attr(x, "replay-method", replay);
		cw_uint_set(x, "timestamp-tolerance", sa->tolerance);
		cw_end(x);
	}
	explicit_bzero(key, sizeof(key));
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_DEBUG: return "debug";
	default: return "info";
	}
}

static void cw_general(struct cw *x, const struct conf *c)
{
	cw_start(x, "general");
	cw_attr(x, "log-level", level_name(c->log_level));
	if (c->state_dir)
		cw_attr(x, "state-dir", c->state_dir);
	if (c->control_socket)
		cw_attr(x, "control-socket", c->control_socket);
	cw_bool(x, "allow-reserved-spi", c->allow_reserved_spi);
	cw_bool(x, "state-fsync", c->state_fsync);
	if (!c->mip_enable)             /* written only when off: mipEnable disabled(2) */
		cw_bool(x, "mip-enable", false);
	if (c->user)
		cw_attr(x, "user", c->user);
	cw_end(x);
}

/* A peer's <ipsec> (xfrm.h). */
static void cw_ipsec(struct cw *x, const struct conf_ipsec *ip)
{
	static const char *const names[CONF_IPSEC_N] = {
		[CONF_IPSEC_REQUEST] = "registration-request", [CONF_IPSEC_REPLY] = "registration-reply",
		[CONF_IPSEC_FORWARD] = "forward-tunnel", [CONF_IPSEC_REVERSE] = "reverse-tunnel",
	};
	char algs[256];

	if (!ip->present)
		return;
	cw_start(x, "ipsec");
	if (ip->local.s_addr != INADDR_ANY)
		cw_addr(x, "local-address", ip->local);
	for (int t = 0; t < CONF_IPSEC_N; t++) {
		const struct conf_ipsec_policy *p = &ip->policy[t];

		if (!p->present)
			continue;
		cw_start(x, names[t]);
		cw_attr(x, "mode", p->tunnel ? "tunnel" : "transport");
		cw_attr(x, "protocol", p->ah ? "ah" : "esp");
		cw_attr(x, "level", p->optional ? "use" : "required");
		cw_uint_set(x, "reqid", p->reqid);
		cw_uint_set(x, "spi", p->spi);
		if (conf_ipsec_algs_str(p, algs, sizeof(algs))[0])
			cw_attr(x, "algorithms", algs);
		cw_end(x);
	}
	cw_end(x);
}

static void cw_limits(struct cw *x, const struct conf_limits *l)
{
	cw_start(x, "limits");
	cw_uint(x, "source-rate", l->source_rate);
	cw_uint(x, "source-burst", l->source_burst);
	cw_uint(x, "rate", l->rate);
	cw_uint(x, "burst", l->burst);
	cw_uint(x, "trusted-rate", l->trusted_rate);
	cw_uint(x, "trusted-burst", l->trusted_burst);
	cw_uint(x, "max-sources", l->max_sources);
	cw_uint(x, "log-rate", l->log_rate);
	cw_uint(x, "log-burst", l->log_burst);
	cw_uint(x, "max-pending", l->max_pending);
	cw_uint(x, "socket-buffer", l->socket_buffer);
	cw_end(x);
}

/* An advertising <interface> (maAdvConfigEntry) of either role. */
static void cw_adv_if(struct cw *x, const struct conf_adv_if *i)
{
	cw_start(x, "interface");
	cw_attr(x, "name", i->name);
	cw_bool(x, "advertise", i->advertise);
	cw_addr(x, "advertisement-address", i->adv_address);
	cw_uint_set(x, "min-interval", i->min_interval);
	cw_uint_set(x, "max-interval", i->max_interval);
	cw_uint_set(x, "advertisement-lifetime", i->adv_lifetime);
	cw_uint_set(x, "max-registration-lifetime", i->max_lifetime);
	cw_bool(x, "prefix-length-inclusion", i->prefix_length_inclusion);
	cw_bool(x, "response-solicitation-only", i->solicitation_only);
	if (i->visitor_limit_set)
		cw_uint(x, "visitor-limit", i->visitor_limit);
	for (size_t k = 0; k < i->n_coas; k++) {
		cw_start(x, "care-of-address");
		cw_addr(x, "address", i->coas[k].addr);
		cw_end(x);
	}
	cw_end(x);
}

static void cw_access(struct cw *x, const char *elem, bool def, const struct conf_access *v,
		      size_t n)
{
	cw_start(x, elem);
	cw_attr(x, "default", def ? "permit" : "deny");
	for (size_t i = 0; i < n; i++) {
		cw_start(x, v[i].permit ? "permit" : "deny");
		cw_prefix(x, "network", &v[i].net);
		cw_end(x);
	}
	cw_end(x);
}

static void cw_node(struct cw *x, const struct conf_node *n)
{
	cw_start(x, "mobile-node");
	if (n->first.s_addr == n->last.s_addr) {
		cw_addr(x, "address", n->first);
	} else {
		cw_addr(x, "first", n->first);
		cw_addr(x, "last", n->last);
	}
	if (n->nai)
		cw_attr(x, "nai", n->nai);
	cw_uint_set(x, "max-registration-lifetime", n->max_lifetime);
	cw_uint_set(x, "max-bindings", n->max_bindings);
	cw_bool(x, "roam", n->roam);
	cw_sas(x, n->sas, n->n_sas);
	cw_end(x);
}

static void cw_ha(struct cw *x, const struct conf_home_agent *ha)
{
	size_t i;

	cw_start(x, "home-agent");
	cw_addr(x, "address", ha->address);
	if (ha->interface[0]) {
		char ifname[IF_NAMESIZE + 1];

		snprintf(ifname, sizeof(ifname), "%.*s", (int)sizeof(ha->interface), ha->interface);
		cw_attr(x, "interface", ifname);
	}
	cw_prefix(x, "home-network", &ha->home_network);
	cw_uint(x, "max-registration-lifetime", ha->max_lifetime);
	cw_uint(x, "max-bindings", ha->max_bindings);
	cw_uint(x, "max-total-bindings", ha->max_total_bindings);
	cw_bool(x, "reverse-tunnel", ha->reverse_tunnel);
	cw_bool(x, "reverse-tunnel-required", ha->reverse_tunnel_required);
	cw_bool(x, "minimal-encapsulation", ha->encaps_minimal);
	cw_bool(x, "gre-encapsulation", ha->encaps_gre);
	cw_bool(x, "broadcast", ha->broadcast);
	cw_bool(x, "collocated", ha->collocated);
	for (i = 0; i < ha->n_virtual_networks; i++) {
		cw_start(x, "virtual-network");
		cw_prefix(x, "prefix", &ha->virtual_networks[i]);
		cw_end(x);
	}
	cw_access(x, "care-of-access", ha->access_default_permit, ha->access, ha->n_access);
	if (ha->adv)
		cw_adv_if(x, ha->adv);
	for (i = 0; i < ha->n_nodes; i++)
		cw_node(x, &ha->nodes[i]);
	cw_end(x);
}

static void cw_fa(struct cw *x, const struct conf_foreign_agent *fa)
{
	size_t i;

	cw_start(x, "foreign-agent");
	cw_bool(x, "registration-required", fa->registration_required);
	cw_uint(x, "visitor-limit", fa->visitor_limit);
	cw_uint_set(x, "max-registration-lifetime", fa->max_lifetime);
	cw_uint_set(x, "pending-timeout", fa->pending_timeout);
	cw_uint_set(x, "max-pending-per-node", fa->max_pending);
	cw_bool(x, "reverse-tunnel", fa->reverse_tunnel);
	cw_bool(x, "reverse-tunnel-required", fa->reverse_tunnel_required);
	cw_bool(x, "minimal-encapsulation", fa->encaps_minimal);
	cw_bool(x, "gre-encapsulation", fa->encaps_gre);
	cw_uint(x, "icmp-code", fa->icmp_code);
	for (i = 0; i < fa->n_ifaces; i++)
		cw_adv_if(x, &fa->ifaces[i]);
	for (i = 0; i < fa->n_visitors; i++) {
		const struct conf_visitor *v = &fa->visitors[i];

		cw_start(x, "visitor");
		cw_addr(x, "address", v->addr);
		if (v->nai)
			cw_attr(x, "nai", v->nai);
		cw_sas(x, v->sas, v->n_sas);
		cw_end(x);
	}
	cw_access(x, "home-agent-access", fa->ha_access_default_permit, fa->ha_access,
		  fa->n_ha_access);
	cw_end(x);
}

static const char *backend_name(enum conf_dp_backend b)
{
	switch (b) {
	case CONF_DP_KERNEL: return "kernel";
	case CONF_DP_USERSPACE: return "userspace";
	case CONF_DP_AUTO: break;
	}
	return "auto";
}

static void cw_doc(struct cw *x, const struct conf *c)
{
	size_t i;

	if (xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL) < 0 ||
	    xmlTextWriterWriteComment(x->w, BAD_CAST
		" mipagent configuration (mipagent.xml(5)).  Written by mipagent " PACKAGE_VERSION
		" for a change made with mipagentconfig or SNMP: every setting is explicit and"
		" comments are not kept.  Edit freely; apply with \"mipagentconfig reload\". ") < 0)
		x->err = true;
	cw_start(x, "mipagent");
	cw_general(x, c);
	if (c->ha.enabled)
		cw_ha(x, &c->ha);
	if (c->fa.enabled)
		cw_fa(x, &c->fa);
	for (i = 0; i < c->n_peers; i++) {
		cw_start(x, "peer");
		cw_addr(x, "address", c->peers[i].addr);
		cw_sas(x, c->peers[i].sas, c->peers[i].n_sas);
		cw_ipsec(x, &c->peers[i].ipsec);
		cw_end(x);
	}
	if (c->snmp.enabled) {
		cw_start(x, "snmp");
		if (c->snmp.agentx_socket)
			cw_attr(x, "agentx-socket", c->snmp.agentx_socket);
		cw_uint_set(x, "ping-interval", c->snmp.ping_interval);
		cw_end(x);
	}
	if (c->dp.present) {
		cw_start(x, "data-plane");
		cw_attr(x, "backend", backend_name(c->dp.backend));
		cw_uint_set(x, "tunnel-mtu", c->dp.tunnel_mtu);
		cw_uint(x, "gratuitous-arp-count", c->dp.gratuitous_arp_count);
		cw_end(x);
	}
	if (c->limits.present)
		cw_limits(x, &c->limits);
	cw_end(x);
	if (!x->err && xmlTextWriterEndDocument(x->w) < 0)
		x->err = true;
}

char *conf_write_xml(const struct conf *c, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	struct cw x = { 0 };
	char *out = NULL;

	if (!buf)
		goto fail;
	x.w = xmlNewTextWriterMemory(buf, 0);
	if (!x.w)
		goto fail;
	if (xmlTextWriterSetIndent(x.w, 1) < 0 || xmlTextWriterSetIndentString(x.w, BAD_CAST "  ") < 0)
		x.err = true;
	cw_doc(&x, c);
	xmlFreeTextWriter(x.w);     /* flushes into buf */
	x.w = NULL;
	if (!x.err) {
		size_t n = (size_t)xmlBufferLength(buf);

		out = malloc(n + 1);
		if (out) {
			memcpy(out, xmlBufferContent(buf), n);
			out[n] = '\0';
			*len = n;
		}
	}
fail:
	if (buf) {
		/* the buffer held the keys */
		explicit_bzero((void *)xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
		xmlBufferFree(buf);
	}
	if (!out)
		log_warnx("conf", "cannot write the configuration as XML%s", x.err ? "" : ": out of memory");
	return out;
}

void conf_write_free(char *xml, size_t len)
{
	if (!xml)
		return;
	explicit_bzero(xml, len);
	free(xml);
}

static int why_errno(char *why, size_t whylen, const char *what, const char *path)
{
	snprintf(why, whylen, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int conf_write_file(const char *path, const char *xml, size_t len, char *why, size_t whylen)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 32];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;
	int fd, dfd;

	if (stat(path, &st) < 0)
		return why_errno(why, whylen, "cannot stat", path);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return why_errno(why, whylen, "cannot create a temporary file in", dir);
	/* mode and owner of the file it replaces, before any key is written */
	if (fchmod(fd, st.st_mode & 07777) < 0) {
		why_errno(why, whylen, "cannot set the mode of", tmp);
		goto fail;
	}
	{
		struct stat nst;

		/* changing an owner needs CAP_CHOWN, which the daemon may have
		 * dropped: only ask when the new file's owner differs */
		if (fstat(fd, &nst) < 0 ||
		    ((nst.st_uid != st.st_uid || nst.st_gid != st.st_gid) &&
		     fchown(fd, st.st_uid, st.st_gid) < 0)) {
			why_errno(why, whylen, "cannot keep the owner of", path);
			goto fail;
		}
	}
	if (write_all(fd, xml, len) < 0) {
		why_errno(why, whylen, "cannot write", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		why_errno(why, whylen, "cannot fsync", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		why_errno(why, whylen, "cannot close", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		why_errno(why, whylen, "cannot rename the new file over", path);
		goto fail;
	}
	/* the rename itself is durable once the directory is */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0)
			log_warn("conf", "fsync %s", dir);
		close(dfd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}
