/* The MIP-MIB (RFC 2006) as the subagent serves it, independent of Net-SNMP:
 * an ordered list of scalars and tables under mipMIBObjects, GET/GETNEXT
 * over full OIDs, and SET (snmp/set.c: validation of a whole request, then
 * one reload_commit()).  Tables never copy rows: each one seeks the core's
 * ordered indexes (bindings, nodes, configured security associations, the
 * foreign agent's visitors) with its MIB index, so GETNEXT costs O(log n).
 * snmp/agent.c adapts this to Net-SNMP; the unit tests call it directly. */
#ifndef MIP_SNMP_MIB_H
#define MIP_SNMP_MIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>

struct adv;
struct conf;
struct mip_fa;
struct mip_ha;
struct mib_violations;
struct mib_vindex;
struct mib_rows;

#define MIB_OID_MAX 64          /* longest OID handled (Net-SNMP's MAX_OID_LEN is 128) */
#define MIB_INDEX_MAX 8         /* longest table index in sub-identifiers */
#define MIB_OCTETS_MAX 16

/* 1.3.6.1.2.1.44: mipMIB */
#define MIB_MIP_PREFIX 1, 3, 6, 1, 2, 1, 44
#define MIB_MIP_PREFIX_LEN 7

enum mib_type {
	MIB_INTEGER,            /* INTEGER, Integer32 (value in .i) */
	MIB_COUNTER32,          /* value in .u */
	MIB_GAUGE32,            /* value in .u */
	MIB_TIMETICKS,          /* TimeStamp (value in .u) */
	MIB_IPADDRESS,          /* 4 octets in .octets */
	MIB_OCTETS,             /* OCTET STRING and BITS (.len octets) */
	MIB_OTHER_TYPE,         /* SET only: any other ASN.1 type (always wrongType) */
};

struct mib_value {
	enum mib_type type;
	int32_t i;
	uint32_t u;
	uint8_t octets[MIB_OCTETS_MAX];
	size_t len;
};

enum mib_status {
	MIB_OK = 0,
	MIB_NO_SUCH_OBJECT,     /* GET: no such object type here */
	MIB_NO_SUCH_INSTANCE,   /* GET: the object exists, this instance does not */
	MIB_END,                /* GETNEXT: nothing after the OID in mipMIBObjects */
};

/* An advertising interface as maAdvConfigTable indexes it. */
struct mib_adv_if {
	char name[IF_NAMESIZE];
	struct in_addr addr;            /* maInterfaceAddress: its primary address */
	uint8_t plen;
};

/* What the MIB reads.  @ha is NULL when the home agent is not running, @fa
 * when the foreign agent is not. */
struct mib_ctx {
	const struct conf *conf;
	struct mip_ha *ha;
	struct mip_fa *fa;
	struct adv *adv;                /* agent discovery (maAdvConfigTable rows), may be NULL */
	uint64_t (*now_ms)(void);       /* monotonic milliseconds */
	uint64_t start_ms;              /* monotonic time of sysUpTime 0 (TimeStamp origin) */
	const struct mib_violations *violations;  /* mipSecViolationTable, may be NULL */
	struct mib_vindex *vindex;      /* faVisitorTable by source address, may be NULL */
	const struct mib_rows *rows;    /* RowStatus rows held notInService, may be NULL */
	/* The advertising interface whose primary address is @a, or with @next
	 * the one with the smallest address above @a.  NULL: adv_row_find() on
	 * @adv (the unit tests put a fake here). */
	bool (*adv_find)(const struct mib_ctx *ctx, struct in_addr a, bool next,
			 struct mib_adv_if *out);
};

/** The OID of mipMIBObjects (the subtree the subagent registers). */
extern const uint32_t mib_objects_oid[];
extern const size_t mib_objects_oid_len;

/** GET of one full OID. */
enum mib_status mib_get(const struct mib_ctx *ctx, const uint32_t *name, size_t len,
			struct mib_value *v);

/** GETNEXT: the first instance after @name (any OID), its name in @out
 *  (room for MIB_OID_MAX) and its value.  Returns MIB_OK or MIB_END. */
enum mib_status mib_getnext(const struct mib_ctx *ctx, const uint32_t *name, size_t len,
			    uint32_t *out, size_t *out_len, struct mib_value *v);

/** TimeStamp (hundredths since @ctx->start_ms) of monotonic time @ms; 0 for
 *  "never" (ms == 0) and for times before the origin. */
uint32_t mib_timestamp(const struct mib_ctx *ctx, uint64_t ms);

/** RegistrationFlags BITS octet of the wire flags of a Registration Request. */
uint8_t mib_reg_flags(uint8_t wire_flags);

/* ---- mipSecViolationTable: the subagent's own record of violators, fed by
 * the notification listener (the core keeps only the total). */
struct mib_violation {
	uint32_t addr;                  /* host order */
	uint32_t count;
	uint32_t spi;
	uint64_t id;
	uint64_t time_ms;               /* monotonic */
	int reason;
};

/** A table of at most @max violators; the least recent is evicted. */
struct mib_violations *mib_violations_new(size_t max);
void mib_violations_free(struct mib_violations *vt);
/** Record a violation by @addr (host order) at @now_ms. */
void mib_violations_add(struct mib_violations *vt, uint32_t addr, uint32_t spi, uint64_t id,
			int reason, uint64_t now_ms);
size_t mib_violations_count(const struct mib_violations *vt);


/* ---- faVisitorTable's index (snmp/visitors.c).  The MIB indexes visitors
 * by the IP source address of their Registration Request; the foreign agent
 * orders them by home address, home agent and interface.  The subagent keeps
 * this second order itself, fed by the visitor-added/-removed events. */
struct mib_vkey {
	struct in_addr src, hoa, ha;
	int ifindex;
};

struct mib_vindex *mib_vindex_new(void);
void mib_vindex_free(struct mib_vindex *vi);
/** Add (or keep) entry @k; -1 when out of memory. */
int mib_vindex_add(struct mib_vindex *vi, const struct mib_vkey *k);
/** Remove @k; when no entry has its source address, the entry with its
 *  home address, home agent and interface (a source that changed silently). */
void mib_vindex_del(struct mib_vindex *vi, const struct mib_vkey *k);
/** The first entry >= @k (source, home address, home agent, interface). */
const struct mib_vkey *mib_vindex_ge(const struct mib_vindex *vi, const struct mib_vkey *k);
size_t mib_vindex_count(const struct mib_vindex *vi);

/* ---- SET (snmp/set.c) ---- */

/* SNMP error-status values of a refused SET (RFC 3416 §4.2.5). */
enum mib_err {
	MIB_ERR_NONE = 0,
	MIB_ERR_WRONG_TYPE,
	MIB_ERR_WRONG_LENGTH,
	MIB_ERR_WRONG_VALUE,
	MIB_ERR_NO_CREATION,
	MIB_ERR_NOT_WRITABLE,
	MIB_ERR_INCONSISTENT_NAME,
	MIB_ERR_INCONSISTENT_VALUE,
	MIB_ERR_RESOURCE_UNAVAILABLE,
	MIB_ERR_COMMIT_FAILED,
	MIB_ERR_UNDO_FAILED,
};

const char *mib_err_name(enum mib_err e);

/* One variable binding of a SET request (the value is not copied). */
struct mib_setvb {
	const uint32_t *name;
	size_t len;
	enum mib_type type;             /* MIB_OTHER_TYPE: none of ours */
	int32_t i;                      /* MIB_INTEGER */
	uint32_t u;                     /* Counter32, Gauge32, TimeTicks */
	const uint8_t *octets;          /* MIB_OCTETS and MIB_IPADDRESS */
	size_t olen;
};

/** RESERVE1: could @vb ever be written?  Checks the object (notWritable),
 *  the instance (noCreation), the type, length and value. */
enum mib_err mib_set_check(const struct mib_setvb *vb);

/* The RowStatus rows the subagent holds in notInService (RFC 2579): they
 * are not in the configuration file; each is dropped after
 * MIB_ROW_HOLD_MS (RFC 2579's "approximately 5 minutes") and at a restart. */
#define MIB_ROW_HOLD_MS (300 * 1000)
struct mib_rows *mib_rows_new(void);
void mib_rows_free(struct mib_rows *r);

struct mib_txn;

/** RESERVE2: the request @vbs[0..@n) as a whole against the running state:
 *  the new configuration (conf_copy(), the edits, conf_check() and the same
 *  XML round trip reload_commit() makes) and the RowStatus changes, nothing
 *  applied.  On error *@bad is the index of the varbind it is about and
 *  @why says why (never a key).  @rows: the rows held (may be NULL). */
enum mib_err mib_set_prepare(const struct mib_ctx *ctx, const struct mib_setvb *vbs, size_t n,
			     struct mib_txn **out, size_t *bad, char *why, size_t whylen);

/* Commits a configuration: reload_commit() in the daemon.  Takes ownership
 * of @edited; returns 0, or -1 with the reasons on @err. */
typedef int (*mib_commit_fn)(void *arg, struct conf *edited, FILE *err);

/** ACTION: commit the prepared configuration (only if it changed) through
 *  @commit, then the RowStatus rows.  @running must still be the
 *  configuration the transaction was prepared against (else commitFailed). */
enum mib_err mib_set_apply(struct mib_txn *t, const struct conf *running, struct mib_rows *rows,
			   mib_commit_fn commit, void *arg, char *why, size_t whylen);
/** UNDO of an applied transaction: the configuration as it was, the rows. */
enum mib_err mib_set_undo(struct mib_txn *t, struct mib_rows *rows, mib_commit_fn commit, void *arg);
/** What the transaction changes, for the log (never a key). */
const char *mib_txn_summary(const struct mib_txn *t);
void mib_txn_free(struct mib_txn *t);

#endif
