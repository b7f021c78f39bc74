/* The MIP-MIB (RFC 2006) as the subagent serves it, independent of Net-SNMP:
 * an ordered list of scalars and tables under mipMIBObjects, and GET/GETNEXT
 * over full OIDs.  Tables never copy rows: each one seeks the core's ordered
 * indexes (bindings, nodes, configured security associations) with its MIB
 * index, so GETNEXT costs O(log n).  snmp/agent.c adapts this to Net-SNMP;
 * the unit tests call it directly. */
#ifndef MIP_SNMP_MIB_H
#define MIP_SNMP_MIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct mip_ha;
struct mib_violations;

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

/* What the MIB reads.  @ha is NULL when the home agent is not running. */
struct mib_ctx {
	const struct conf *conf;
	struct mip_ha *ha;
	uint64_t (*now_ms)(void);       /* monotonic milliseconds */
	uint64_t start_ms;              /* monotonic time of sysUpTime 0 (TimeStamp origin) */
	const struct mib_violations *violations;  /* mipSecViolationTable, may be NULL */
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

#endif
