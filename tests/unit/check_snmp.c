/* Unit tests of the subagent's MIB (snmp/mib.c, snmp/violations.c): GET and
 * GETNEXT straight on the MIP-MIB objects, against a home agent whose nodes
 * and bindings are made with node_get()/binding_add() and a parsed
 * configuration, without Net-SNMP or a network.  The walks are compared with
 * the OID lists the MIB's index order gives (addresses as 4 numeric sub-ids). */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "binding.h"
#include "conf.h"
#include "counters.h"
#include "ha.h"
#include "node.h"
#include "mib.h"
#include "mib_int.h"

#define KEY "00112233445566778899aabbccddeeff"
#define MIP "1.3.6.1.2.1.44.1."
#define BIND MIP "6.3.1.1."             /* haMobilityBindingEntry */
#define CTR MIP "6.3.2.1."              /* haCounterEntry */
#define SA MIP "2.1.1."                 /* mipSecAssocEntry */
#define VIOL MIP "2.3.1."               /* mipSecViolationEntry */

static const char *conf_xml =
	"<mipagent>"
	" <home-agent address='192.0.2.1' home-network='192.0.2.0/24' gre-encapsulation='false'>"
	"  <mobile-node address='192.0.2.100'>"
	"   <security-association spi='258' algorithm='keyed-md5' key='" KEY "'/>"
	"   <security-association spi='257' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node first='192.0.2.20' last='192.0.2.22'>"
	"   <security-association spi='300' replay-method='nonces' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node address='192.0.2.9'>"
	"   <security-association spi='4294967295' algorithm='rfc2002-md5' key='" KEY "'/>"
	"  </mobile-node>"
	" </home-agent>"
	" <peer address='198.51.100.2'><security-association spi='500' key='" KEY "'/></peer>"
	" <peer address='192.0.2.21'>"
	"  <security-association spi='301' key='" KEY "'/>"
	"  <security-association spi='299' key='" KEY "'/>"
	" </peer>"
	"</mipagent>";

static struct conf *conf;
static struct timer_heap timers;
static struct mip_ha ha;
static struct mib_ctx ctx;
static struct mib_violations *viol;
static uint64_t fake_now;

static uint64_t now_ms(void) { return fake_now; }

static int no_send(void *c, const struct mip_pkt_info *pi, const uint8_t *p, size_t len)
{
	(void)c, (void)pi, (void)p, (void)len;
	return 0;
}

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* "1.3.6..." -> sub-ids */
static size_t O(const char *s, uint32_t *out)
{
	size_t n = 0;

	while (*s) {
		char *end;

		out[n++] = (uint32_t)strtoul(s, &end, 10);
		ck_assert(end != s && n <= MIB_OID_MAX);
		s = *end == '.' ? end + 1 : end;
	}
	return n;
}

static const char *S(const uint32_t *o, size_t n)
{
	static char buf[8][512];
	static int k;
	char *b = buf[k++ % 8];
	size_t off = 0;

	b[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(b + off, sizeof(buf[0]) - off, "%s%u", i ? "." : "", o[i]);
	return b;
}

/* GETNEXT of @from as a string ("END" when nothing follows), value in @v. */
static const char *next_of(const char *from, struct mib_value *v)
{
	uint32_t in[MIB_OID_MAX], out[MIB_OID_MAX];
	size_t n = O(from, in), outn = 0;
	struct mib_value tmp;

	if (mib_getnext(&ctx, in, n, out, &outn, v ? v : &tmp) != MIB_OK)
		return "END";
	return S(out, outn);
}

static enum mib_status get(const char *name, struct mib_value *v)
{
	uint32_t in[MIB_OID_MAX];
	size_t n = O(name, in);

	return mib_get(&ctx, in, n, v);
}

static struct mip_binding *mkbind(const char *hoa, const char *coa, const char *src, uint8_t flags,
				uint64_t id, uint16_t lifetime, uint64_t granted)
{
	struct mip_node *n = node_get(&ha.nodes, A(hoa), conf_find_node(&conf->ha, A(hoa)));
	struct mip_binding *b;

	ck_assert_ptr_nonnull(n);
	b = binding_add(&ha.bindings, n, A(coa));
	ck_assert_ptr_nonnull(b);
	b->src = A(src);
	b->flags = flags;
	b->id = id;
	b->lifetime = lifetime;
	b->granted_ms = granted;
	return b;
}

static void setup(void)
{
	struct mip_io_ops io = { .send = no_send };

	conf = conf_parse_memory("test.xml", conf_xml, strlen(conf_xml), stderr);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf_check(conf, stderr), 0);
	memset(&timers, 0, sizeof(timers));
	ck_assert_int_eq(ha_init(&ha, conf, &timers, &io), 0);
	mip_counters_reset();
	viol = mib_violations_new(3);
	ck_assert_ptr_nonnull(viol);
	fake_now = 100000;
	ctx = (struct mib_ctx){ .conf = conf, .ha = &ha, .now_ms = now_ms, .start_ms = 1000,
				.violations = viol };
	/* inserted out of order on purpose */
	mkbind("192.0.2.100", "203.0.113.5", "198.51.100.2", 0x80 | 0x02, 1, 1800, 90000);
	mkbind("192.0.2.20", "10.0.0.1", "10.0.0.1", 0, 2, 0xffff, 90000);
	mkbind("192.0.2.100", "198.51.100.7", "198.51.100.7", 0x08 | 0x10 | 0x20,
	     0x89abcdef01234567ull, 600, 40000);
	mkbind("192.0.2.9", "203.0.113.1", "203.0.113.1", 0x40, 3, 60, 90000);
	mkbind("192.0.2.100", "9.9.9.9", "9.9.9.9", 0x04, 4, 30, 90000);
}

static void teardown(void)
{
	mib_violations_free(viol);
	ha_free(&ha);
	timer_heap_free(&timers);
	conf_free(conf);
}

/* The binding rows in MIB index order: numeric, home address then care-of. */
static const char *const bind_rows[] = {
	"192.0.2.9.203.0.113.1", "192.0.2.20.10.0.0.1", "192.0.2.100.9.9.9.9",
	"192.0.2.100.198.51.100.7", "192.0.2.100.203.0.113.5",
};
#define N_BIND 5

START_TEST(test_walk_order)
{
	char cur[512] = MIP;
	const char *prev = NULL;
	int n = 0, nbind = 0;
	uint32_t a[MIB_OID_MAX], b[MIB_OID_MAX];

	cur[strlen(cur) - 1] = '\0';    /* mipMIBObjects itself */
	for (;;) {
		const char *nx = next_of(cur, NULL);

		if (!strcmp(nx, "END"))
			break;
		if (prev) {                     /* strictly increasing */
			size_t la = O(prev, a), lb = O(nx, b), i = 0;

			while (i < la && i < lb && a[i] == b[i])
				i++;
			ck_assert_msg(i == la ? lb > la : (i < lb && a[i] < b[i]), "%s !< %s", prev, nx);
		}
		if (!strncmp(nx, BIND, strlen(BIND))) {
			char want[256];

			snprintf(want, sizeof(want), BIND "%d.%s", 1 + nbind / N_BIND,
				 bind_rows[nbind % N_BIND]);
			ck_assert_str_eq(nx, want);
			nbind++;
		}
		snprintf(cur, sizeof(cur), "%s", nx);
		prev = cur;
		ck_assert_int_lt(++n, 10000);
	}
	ck_assert_int_eq(nbind, 8 * N_BIND);
	/* 3 system + 9*4 SA + total + 3 ma + 2 fa adv + 15 fa + 40 bindings
	 * + (3 nodes x 5 columns + 0 denied codes) + 17 ha counters */
	ck_assert_int_eq(n, 3 + 36 + 1 + 3 + 2 + 15 + 40 + 15 + 17);
	ck_assert_str_eq(cur, MIP "6.3.19.0");
}
END_TEST

START_TEST(test_binding_values)
{
	struct mib_value v;
	const char *row = "192.0.2.100.198.51.100.7";
	char name[128];

#define COL(c) (snprintf(name, sizeof(name), BIND "%d.%s", c, row), name)
	ck_assert_int_eq(get(COL(1), &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_IPADDRESS);
	ck_assert_mem_eq(v.octets, "\xc0\x00\x02\x64", 4);
	ck_assert_int_eq(get(COL(2), &v), MIB_OK);
	ck_assert_mem_eq(v.octets, "\xc6\x33\x64\x07", 4);
	ck_assert_int_eq(get(COL(3), &v), MIB_OK);
	ck_assert_mem_eq(v.octets, "\xc6\x33\x64\x07", 4);
	ck_assert_int_eq(get(COL(4), &v), MIB_OK);     /* G M D -> gre minEnc decapsulationbyMN */
	ck_assert_int_eq(v.type, MIB_OCTETS);
	ck_assert_uint_eq(v.len, 1);
	ck_assert_uint_eq(v.octets[0], 0x40 | 0x20 | 0x10);
	ck_assert_int_eq(get(COL(5), &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_INTEGER);
	ck_assert_int_eq(v.i, 0x01234567);
	ck_assert_int_eq(get(COL(6), &v), MIB_OK);
	ck_assert_int_eq(v.i, (int32_t)0x89abcdefu);    /* Integer32: negative */
	ck_assert_int_eq(get(COL(7), &v), MIB_OK);
	ck_assert_int_eq(v.i, 600);
	ck_assert_int_eq(get(COL(8), &v), MIB_OK);     /* granted at 40 s, now 100 s */
	ck_assert_int_eq(v.type, MIB_GAUGE32);
	ck_assert_uint_eq(v.u, 540);
	row = "192.0.2.20.10.0.0.1";                   /* infinite lifetime */
	ck_assert_int_eq(get(COL(7), &v), MIB_OK);
	ck_assert_int_eq(v.i, 65535);
	ck_assert_int_eq(get(COL(8), &v), MIB_OK);
	ck_assert_uint_eq(v.u, 65535);
	row = "192.0.2.100.203.0.113.5";               /* S and T: only S has a BITS position */
	ck_assert_int_eq(get(COL(4), &v), MIB_OK);
	ck_assert_uint_eq(v.octets[0], 0x04);
	fake_now = 90000 + 1800 * 1000;                /* expired, not yet removed */
	ck_assert_int_eq(get(COL(8), &v), MIB_OK);
	ck_assert_uint_eq(v.u, 0);
	/* missing rows and malformed instances */
	row = "192.0.2.100.203.0.113.6";
	ck_assert_int_eq(get(COL(1), &v), MIB_NO_SUCH_INSTANCE);
	row = "192.0.2.100.203.0.113";
	ck_assert_int_eq(get(COL(1), &v), MIB_NO_SUCH_INSTANCE);
	row = "192.0.2.100.203.0.113.5.0";
	ck_assert_int_eq(get(COL(1), &v), MIB_NO_SUCH_INSTANCE);
	row = "192.0.2.100.203.0.113.261";
	ck_assert_int_eq(get(COL(1), &v), MIB_NO_SUCH_INSTANCE);
	row = "192.0.2.100.203.0.113.5";
	ck_assert_int_eq(get(COL(9), &v), MIB_NO_SUCH_OBJECT);
	ck_assert_int_eq(get(COL(0), &v), MIB_NO_SUCH_OBJECT);
#undef COL
}
END_TEST

START_TEST(test_getnext_edges)
{
	const char *first = BIND "1.192.0.2.9.203.0.113.1", *col2 = BIND "2.192.0.2.9.203.0.113.1";

	ck_assert_str_eq(next_of(MIP "6.3.1", NULL), first);               /* the table */
	ck_assert_str_eq(next_of(MIP "6.3.1.1", NULL), first);             /* the entry */
	ck_assert_str_eq(next_of(BIND "0", NULL), first);                  /* column 0 */
	ck_assert_str_eq(next_of(BIND "1", NULL), first);                  /* the column */
	ck_assert_str_eq(next_of(first, NULL), BIND "1.192.0.2.20.10.0.0.1");
	ck_assert_str_eq(next_of(BIND "1.192.0.2", NULL), first);          /* partial index */
	ck_assert_str_eq(next_of(BIND "1.192.0.2.9.203", NULL), first);
	ck_assert_str_eq(next_of(BIND "1.192.0.2.50", NULL), BIND "1.192.0.2.100.9.9.9.9");
	ck_assert_str_eq(next_of(BIND "1.192.0.2.100.200", NULL), BIND "1.192.0.2.100.203.0.113.5");
	ck_assert_str_eq(next_of(BIND "1.192.0.2.100.198.51.100.7", NULL),
			 BIND "1.192.0.2.100.203.0.113.5");
	/* out-of-range sub-ids: everything with that prefix is smaller */
	ck_assert_str_eq(next_of(BIND "1.192.0.2.100.300", NULL), col2);
	ck_assert_str_eq(next_of(BIND "1.192.0.2.20.256.1", NULL), BIND "1.192.0.2.100.9.9.9.9");
	ck_assert_str_eq(next_of(BIND "1.192.0.2.256", NULL), col2);
	ck_assert_str_eq(next_of(BIND "1.192.0.1.4294967295", NULL), first);
	ck_assert_str_eq(next_of(BIND "1.4294967295", NULL), col2);
	ck_assert_str_eq(next_of(BIND "1.255.255.255.255.255.255.255.255", NULL), col2);
	/* over-long: the row named by its prefix is before it */
	ck_assert_str_eq(next_of(BIND "1.192.0.2.100.203.0.113.5.0", NULL), col2);
	ck_assert_str_eq(next_of(BIND "1.192.0.2.9.203.0.113.1.7.7", NULL),
			 BIND "1.192.0.2.20.10.0.0.1");
	/* past the last column: the next table */
	ck_assert_str_eq(next_of(BIND "8.192.0.2.100.203.0.113.5", NULL), CTR "2.192.0.2.9");
	ck_assert_str_eq(next_of(BIND "9", NULL), CTR "2.192.0.2.9");
	ck_assert_str_eq(next_of(MIP "6.3.1.2", NULL), CTR "2.192.0.2.9");
	/* the last object, and beyond */
	ck_assert_str_eq(next_of(MIP "6.3.18.0", NULL), MIP "6.3.19.0");
	ck_assert_str_eq(next_of(MIP "6.3.19", NULL), MIP "6.3.19.0");
	ck_assert_str_eq(next_of(MIP "6.3.19.0", NULL), "END");
	ck_assert_str_eq(next_of("1.3.6.1.2.1.45", NULL), "END");
	/* before everything */
	ck_assert_str_eq(next_of("1.3.6.1.2.1.44", NULL), MIP "1.1.0");
	ck_assert_str_eq(next_of("1.3", NULL), MIP "1.1.0");
	/* scalars */
	ck_assert_str_eq(next_of(MIP "1.1.0", NULL), MIP "1.2.0");
	ck_assert_str_eq(next_of(MIP "1.1.0.5", NULL), MIP "1.2.0");
	ck_assert_str_eq(next_of(MIP "2.2.0", NULL), "1.3.6.1.2.1.44.1.4.2.2.0");  /* empty tables skipped */
	/* the empty FA and advertisement tables */
	ck_assert_str_eq(next_of(MIP "5.1", NULL), MIP "5.2.1.0");
	ck_assert_str_eq(next_of(MIP "5.3.1.1.3.1.2.3.4", NULL), MIP "5.3.2.0");
	/* no home agent running: its tables are empty */
	ctx.ha = NULL;
	ck_assert_str_eq(next_of(MIP "6.3.1", NULL), MIP "6.3.3.0");
}
END_TEST

START_TEST(test_counter_table)
{
	struct mip_node *n100 = node_find(&ha.nodes, A("192.0.2.100"));
	struct mib_value v;

	ck_assert_ptr_nonnull(n100);
	n100->ctr.accepted = 7;
	n100->ctr.denied = 2;
	n100->ctr.service_time = 1234;
	n100->ctr.recent_accepted_ms = 6000;          /* 5 s after the origin */
	n100->ctr.recent_denied_ms = 11000;
	n100->ctr.recent_denied_code = 133;
	ck_assert_str_eq(next_of(CTR "2", NULL), CTR "2.192.0.2.9");
	ck_assert_str_eq(next_of(CTR "2.192.0.2.9", NULL), CTR "2.192.0.2.20");
	ck_assert_str_eq(next_of(CTR "2.192.0.2.20", NULL), CTR "2.192.0.2.100");
	ck_assert_str_eq(next_of(CTR "2.192.0.2.100", &v), CTR "3.192.0.2.9");
	ck_assert_int_eq(get(CTR "2.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_COUNTER32);
	ck_assert_uint_eq(v.u, 7);
	ck_assert_int_eq(get(CTR "3.192.0.2.100", &v), MIB_OK);
	ck_assert_uint_eq(v.u, 2);
	ck_assert_int_eq(get(CTR "4.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_GAUGE32);
	ck_assert_uint_eq(v.u, 1234);
	ck_assert_int_eq(get(CTR "5.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_TIMETICKS);
	ck_assert_uint_eq(v.u, 500);
	ck_assert_int_eq(get(CTR "6.192.0.2.100", &v), MIB_OK);
	ck_assert_uint_eq(v.u, 1000);
	ck_assert_int_eq(get(CTR "6.192.0.2.9", &v), MIB_OK);     /* never: 0 */
	ck_assert_uint_eq(v.u, 0);
	/* haRecentServiceDeniedCode exists only for nodes once denied */
	ck_assert_int_eq(get(CTR "7.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_INTEGER);
	ck_assert_int_eq(v.i, 133);
	ck_assert_int_eq(get(CTR "7.192.0.2.9", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_str_eq(next_of(CTR "6.192.0.2.100", NULL), CTR "7.192.0.2.100");
	ck_assert_str_eq(next_of(CTR "7", NULL), CTR "7.192.0.2.100");
	ck_assert_str_eq(next_of(CTR "7.192.0.2.100", NULL), MIP "6.3.3.0");
	ck_assert_int_eq(get(CTR "1.192.0.2.100", &v), MIB_NO_SUCH_OBJECT);
	ck_assert_int_eq(get(CTR "2.192.0.2.101", &v), MIB_NO_SUCH_INSTANCE);
}
END_TEST

START_TEST(test_sec_assoc_table)
{
	static const char *const rows[] = {
		"192.0.2.9.4294967295", "192.0.2.20.300", "192.0.2.21.299", "192.0.2.21.300",
		"192.0.2.21.301", "192.0.2.22.300", "192.0.2.100.257", "192.0.2.100.258",
		"198.51.100.2.500",
	};
	/* mipSecAlgorithmMode and mipSecReplayMethod of each row */
	static const int mode[] = { 2, 1, 1, 1, 1, 1, 1, 2, 1 };
	static const int replay[] = { 2, 3, 2, 3, 2, 3, 2, 2, 2 };
	char cur[256] = SA "2", want[256];
	struct mib_value v;

	for (int col = 3; col <= 6; col++) {
		for (int i = 0; i < 9; i++) {
			const char *nx = next_of(cur, &v);

			snprintf(want, sizeof(want), SA "%d.%s", col, rows[i]);
			ck_assert_str_eq(nx, want);
			ck_assert_int_eq(get(want, &v), MIB_OK);
			switch (col) {
			case 3: ck_assert_int_eq(v.i, 2); break;               /* md5 */
			case 4: ck_assert_int_eq(v.i, mode[i]); break;
			case 5:                                                 /* key never shown */
				ck_assert_int_eq(v.type, MIB_OCTETS);
				ck_assert_uint_eq(v.len, 0);
				break;
			case 6: ck_assert_int_eq(v.i, replay[i]); break;
			}
			snprintf(cur, sizeof(cur), "%s", want);
		}
	}
	ck_assert_str_eq(next_of(cur, NULL), MIP "2.2.0");
	/* SPI carry: after the largest SPI of an address comes the next address */
	ck_assert_str_eq(next_of(SA "3.192.0.2.9.4294967295", NULL), SA "3.192.0.2.20.300");
	ck_assert_str_eq(next_of(SA "3.192.0.2.21", NULL), SA "3.192.0.2.21.299");
	ck_assert_str_eq(next_of(SA "3.192.0.2.21.299", NULL), SA "3.192.0.2.21.300");
	ck_assert_str_eq(next_of(SA "3.192.0.2.23.0", NULL), SA "3.192.0.2.100.257");
	ck_assert_int_eq(get(SA "3.192.0.2.21.257", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_int_eq(get(SA "3.192.0.2.23.300", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_int_eq(get(SA "2.192.0.2.20.300", &v), MIB_NO_SUCH_OBJECT);  /* not-accessible */
}
END_TEST

START_TEST(test_scalars)
{
	struct mib_value v;

	ck_assert_int_eq(get(MIP "1.1.0", &v), MIB_OK);        /* mipEntities: homeAgent(2) */
	ck_assert_int_eq(v.type, MIB_OCTETS);
	ck_assert_uint_eq(v.len, 1);
	ck_assert_uint_eq(v.octets[0], 0x20);
	ck_assert_int_eq(get(MIP "1.2.0", &v), MIB_OK);        /* mipEnable: enabled(1) */
	ck_assert_int_eq(v.i, 1);
	ck_assert_int_eq(get(MIP "1.3.0", &v), MIB_OK);        /* ipInIp, minEnc; GRE is off */
	ck_assert_uint_eq(v.octets[0], 0x80 | 0x20);
	ck_assert_int_eq(get(MIP "1.1", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_int_eq(get(MIP "1.1.1", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_int_eq(get(MIP "1.4.0", &v), MIB_NO_SUCH_OBJECT);
	ck_assert_int_eq(get(MIP "3.1.1.0", &v), MIB_NO_SUCH_OBJECT);  /* mnState: not a node */
	ck_assert_int_eq(get("1.3.6.1.2.1.44.1", &v), MIB_NO_SUCH_OBJECT);
	ck_assert_int_eq(get(MIP "5.2.1.0", &v), MIB_OK);      /* faIsBusy false(2) */
	ck_assert_int_eq(v.i, 2);
	ck_assert_int_eq(get(MIP "5.3.16.0", &v), MIB_OK);
	ck_assert_int_eq(v.type, MIB_COUNTER32);
	ck_assert_uint_eq(v.u, 0);
	ck_assert_int_eq(get(MIP "4.2.1.1.2.192.0.2.1", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_int_eq(get(MIP "5.3.1.1.1.192.0.2.1", &v), MIB_NO_SUCH_INSTANCE);
	mip_counters[MIP_CTR_SEC_TOTAL_VIOLATIONS] = 42;
	ck_assert_int_eq(get(MIP "2.2.0", &v), MIB_OK);
	ck_assert_uint_eq(v.u, 42);
}
END_TEST

/* The Counter32 scalars of the MIB and where RFC 2006 puts them. */
static const struct { const char *name, *oid; } counter_oids[] = {
	{ "mipSecTotalViolations", MIP "2.2.0" },
	{ "maAdvertisementsSent", MIP "4.2.2.0" },
	{ "maAdvsSentForSolicitation", MIP "4.2.3.0" },
	{ "maSolicitationsReceived", MIP "4.2.4.0" },
	{ "faRegRequestsReceived", MIP "5.3.2.0" },
	{ "faRegRequestsRelayed", MIP "5.3.3.0" },
	{ "faReasonUnspecified", MIP "5.3.4.0" },
	{ "faAdmProhibited", MIP "5.3.5.0" },
	{ "faInsufficientResource", MIP "5.3.6.0" },
	{ "faMNAuthenticationFailure", MIP "5.3.7.0" },
	{ "faRegLifetimeTooLong", MIP "5.3.8.0" },
	{ "faPoorlyFormedRequests", MIP "5.3.9.0" },
	{ "faEncapsulationUnavailable", MIP "5.3.10.0" },
	{ "faVJCompressionUnavailable", MIP "5.3.11.0" },
	{ "faHAUnreachable", MIP "5.3.12.0" },
	{ "faRegRepliesRecieved", MIP "5.3.13.0" },
	{ "faRegRepliesRelayed", MIP "5.3.14.0" },
	{ "faHAAuthenticationFailure", MIP "5.3.15.0" },
	{ "faPoorlyFormedReplies", MIP "5.3.16.0" },
	{ "haRegistrationAccepted", MIP "6.3.3.0" },
	{ "haMultiBindingUnsupported", MIP "6.3.4.0" },
	{ "haReasonUnspecified", MIP "6.3.5.0" },
	{ "haAdmProhibited", MIP "6.3.6.0" },
	{ "haInsufficientResource", MIP "6.3.7.0" },
	{ "haMNAuthenticationFailure", MIP "6.3.8.0" },
	{ "haFAAuthenticationFailure", MIP "6.3.9.0" },
	{ "haIDMismatch", MIP "6.3.10.0" },
	{ "haPoorlyFormedRequest", MIP "6.3.11.0" },
	{ "haTooManyBindings", MIP "6.3.12.0" },
	{ "haUnknownHA", MIP "6.3.13.0" },
	{ "haGratuitiousARPsSent", MIP "6.3.14.0" },
	{ "haProxyARPsSent", MIP "6.3.15.0" },
	{ "haRegRequestsReceived", MIP "6.3.16.0" },
	{ "haDeRegRequestsReceived", MIP "6.3.17.0" },
	{ "haRegRepliesSent", MIP "6.3.18.0" },
	{ "haDeRegRepliesSent", MIP "6.3.19.0" },
};
#define N_COUNTER_OIDS (sizeof(counter_oids) / sizeof(counter_oids[0]))

/* Every core counter with a MIB name is served at its object's OID (and the
 * MIB's other counters read 0). */
START_TEST(test_counters)
{
	struct mib_value v;

	for (int c = 0; c < MIP_CTR_COUNT; c++)
		mip_counters[c] = 1000 + (uint32_t)c;
	for (int c = 0; c < MIP_CTR_COUNT; c++) {
		const char *mib = mip_counter_mib_name(c);
		size_t i;

		if (!mib[0])
			continue;
		for (i = 0; i < N_COUNTER_OIDS && strcmp(counter_oids[i].name, mib); i++)
			;
		ck_assert_msg(i < N_COUNTER_OIDS, "core counter %s is not a MIP-MIB Counter32", mib);
		ck_assert_int_eq(get(counter_oids[i].oid, &v), MIB_OK);
		ck_assert_int_eq(v.type, MIB_COUNTER32);
		ck_assert_msg(v.u == 1000u + (uint32_t)c, "%s reads %u", mib, v.u);
	}
	for (size_t i = 0; i < N_COUNTER_OIDS; i++) {
		int c;

		for (c = 0; c < MIP_CTR_COUNT && strcmp(mip_counter_mib_name(c), counter_oids[i].name); c++)
			;
		ck_assert_int_eq(get(counter_oids[i].oid, &v), MIB_OK);
		ck_assert_int_eq(v.type, MIB_COUNTER32);
		ck_assert_uint_eq(v.u, c < MIP_CTR_COUNT ? 1000u + (uint32_t)c : 0);
	}
}
END_TEST

START_TEST(test_violations)
{
	struct mib_value v;

	mib_violations_add(viol, 0xc0000264, 257, 0x1122334455667788ull, 2, 11000);  /* 192.0.2.100 */
	mib_violations_add(viol, 0xc0000209, 0, 5, 1, 12000);                         /* 192.0.2.9 */
	mib_violations_add(viol, 0xc6336402, 500, 6, 4, 13000);                       /* 198.51.100.2 */
	mib_violations_add(viol, 0xc0000264, 258, 7, 3, 21000);
	ck_assert_uint_eq(mib_violations_count(viol), 3);
	ck_assert_str_eq(next_of(VIOL "1", NULL), VIOL "2.192.0.2.9");  /* column 1: notify only */
	ck_assert_str_eq(next_of(VIOL "2.192.0.2.9", NULL), VIOL "2.192.0.2.100");
	ck_assert_str_eq(next_of(VIOL "2.192.0.2.100", NULL), VIOL "2.198.51.100.2");
	ck_assert_int_eq(get(VIOL "2.192.0.2.100", &v), MIB_OK);
	ck_assert_uint_eq(v.u, 2);
	ck_assert_int_eq(get(VIOL "3.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.i, 258);
	ck_assert_int_eq(get(VIOL "4.192.0.2.100", &v), MIB_OK);
	ck_assert_uint_eq(v.u, 2000);
	ck_assert_int_eq(get(VIOL "5.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.i, 7);
	ck_assert_int_eq(get(VIOL "7.192.0.2.100", &v), MIB_OK);
	ck_assert_int_eq(v.i, 3);
	ck_assert_int_eq(get(VIOL "1.192.0.2.100", &v), MIB_NO_SUCH_OBJECT);
	/* a fourth violator evicts the least recent one (192.0.2.9) */
	mib_violations_add(viol, 0x0a000001, 1, 1, 6, 30000);
	ck_assert_uint_eq(mib_violations_count(viol), 3);
	ck_assert_int_eq(get(VIOL "2.192.0.2.9", &v), MIB_NO_SUCH_INSTANCE);
	ck_assert_str_eq(next_of(VIOL "2", NULL), VIOL "2.10.0.0.1");
	ck_assert_str_eq(next_of(VIOL "2.10.0.0.1", NULL), VIOL "2.192.0.2.100");
}
END_TEST

START_TEST(test_bucket)
{
	struct mib_bucket b;
	int ok = 0;

	mib_bucket_init(&b, 10, 10, 5000);
	for (int i = 0; i < 20; i++)
		ok += mib_bucket_take(&b, 5000);
	ck_assert_int_eq(ok, 10);
	ck_assert(!mib_bucket_take(&b, 5099));
	ck_assert(mib_bucket_take(&b, 5100));          /* one token per 100 ms */
	ck_assert(!mib_bucket_take(&b, 5150));
	ok = 0;
	for (int i = 0; i < 20; i++)                    /* a long pause: one burst only */
		ok += mib_bucket_take(&b, 60000);
	ck_assert_int_eq(ok, 10);
	ok = 0;
	for (uint64_t t = 60000; t < 61000; t += 10)    /* steady 100/s: 10/s pass */
		ok += mib_bucket_take(&b, t);
	ck_assert_int_ge(ok, 9);
	ck_assert_int_le(ok, 11);
}
END_TEST

START_TEST(test_reg_flags)
{
	ck_assert_uint_eq(mib_reg_flags(0x80), 0x04);  /* S -> simultaneousBindings(5) */
	ck_assert_uint_eq(mib_reg_flags(0x40), 0x08);  /* B -> broadcastDatagram(4) */
	ck_assert_uint_eq(mib_reg_flags(0x20), 0x10);  /* D -> decapsulationbyMN(3) */
	ck_assert_uint_eq(mib_reg_flags(0x10), 0x20);  /* M -> minEnc(2) */
	ck_assert_uint_eq(mib_reg_flags(0x08), 0x40);  /* G -> gre(1) */
	ck_assert_uint_eq(mib_reg_flags(0x04), 0x80);  /* V/r -> vjCompression(0) */
	ck_assert_uint_eq(mib_reg_flags(0x02), 0);     /* T: no position */
	ck_assert_uint_eq(mib_reg_flags(0x01), 0);
	ck_assert_uint_eq(mib_reg_flags(0xff), 0xfc);
}
END_TEST

/* A larger table walked column 1 to the end by GETNEXT: every row once, in
 * order (the walk seeks the tree; it never scans it). */
START_TEST(test_large_walk)
{
	char cur[128], want[128];
	int n = 0;

	ha_free(&ha);
	ck_assert_int_eq(ha_init(&ha, conf, &timers, &(struct mip_io_ops){ .send = no_send }), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		struct in_addr h = { .s_addr = htonl(0x0a000000u + i * 7919u % 65536u * 256u) };
		struct in_addr c = { .s_addr = htonl(0xcb007100u + i % 3) };
		struct mip_node *nd = node_get(&ha.nodes, h, NULL);

		ck_assert_ptr_nonnull(nd);
		if (!binding_find(nd, c))
			ck_assert_ptr_nonnull(binding_add(&ha.bindings, nd, c));
	}
	snprintf(cur, sizeof(cur), BIND "1");
	for (struct mip_binding *b = binding_first(&ha.bindings); b;
	     b = binding_next(&ha.bindings, b->node->hoa, b->coa)) {
		uint32_t h = ntohl(b->node->hoa.s_addr), c = ntohl(b->coa.s_addr);

		snprintf(want, sizeof(want), BIND "1.%u.%u.%u.%u.%u.%u.%u.%u", h >> 24,
			 (h >> 16) & 255, (h >> 8) & 255, h & 255, c >> 24, (c >> 16) & 255,
			 (c >> 8) & 255, c & 255);
		ck_assert_str_eq(next_of(cur, NULL), want);
		snprintf(cur, sizeof(cur), "%s", want);
		n++;
	}
	ck_assert_uint_eq((size_t)n, ha.bindings.count);
	ck_assert_int_gt(n, 15000);
	ck_assert_str_eq(next_of(cur, NULL), BIND "2.10.0.0.0.203.0.113.0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snmp");
	TCase *tc = tcase_create("mib");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_walk_order);
	tcase_add_test(tc, test_binding_values);
	tcase_add_test(tc, test_getnext_edges);
	tcase_add_test(tc, test_counter_table);
	tcase_add_test(tc, test_sec_assoc_table);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_violations);
	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_reg_flags);
	tcase_add_test(tc, test_large_walk);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
