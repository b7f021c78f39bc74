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
#include "fa.h"
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

/* ---------------------------------------------------------------- SET (snmp/set.c) */

#define ADV MIP "4.2.1.1."              /* maAdvConfigEntry */
#define COA MIP "5.1.1.1."              /* faCOAEntry */

static const char *set_xml =
	"<mipagent>"
	" <home-agent address='192.0.2.1' interface='ha0' home-network='192.0.2.0/24'>"
	"  <virtual-network prefix='10.1.0.0/16'/>"
	"  <mobile-node address='192.0.2.100'>"
	"   <security-association spi='257' key='" KEY "'/>"
	"   <security-association spi='258' algorithm='rfc2002-md5' key='" KEY "'/>"
	"  </mobile-node>"
	"  <mobile-node first='192.0.2.20' last='192.0.2.22'>"
	"   <security-association spi='300' key='" KEY "'/>"
	"  </mobile-node>"
	"  <interface name='ha0' max-interval='10'/>"
	" </home-agent>"
	" <foreign-agent>"
	"  <interface name='fa0'><care-of-address address='203.0.113.1'/></interface>"
	"  <interface name='fa1' advertise='false'><care-of-address address='198.51.100.9'/></interface>"
	"  <visitor address='192.0.2.200'><security-association spi='400' key='" KEY "'/></visitor>"
	" </foreign-agent>"
	" <peer address='198.51.100.2'><security-association spi='500' key='" KEY "'/></peer>"
	"</mipagent>";

static struct conf *sconf, *committed;
static struct mib_rows *rows;
static struct mib_ctx sctx;
static int commit_calls, commit_rc;

/* Agent discovery's rows: ha0 192.0.2.1/24, fa1 198.51.100.1/25, fa0 203.0.113.1/26. */
static bool fake_adv_find(const struct mib_ctx *c, struct in_addr a, bool next, struct mib_adv_if *out)
{
	static const struct { const char *name, *addr; uint8_t plen; } ifs[] = {
		{ "ha0", "192.0.2.1", 24 }, { "fa1", "198.51.100.1", 25 }, { "fa0", "203.0.113.1", 26 },
	};

	(void)c;
	for (size_t i = 0; i < 3; i++) {
		uint32_t h = ntohl(A(ifs[i].addr).s_addr), want = ntohl(a.s_addr);

		if (next ? h > want : h == want) {
			memset(out, 0, sizeof(*out));
			snprintf(out->name, sizeof(out->name), "%s", ifs[i].name);
			out->addr = A(ifs[i].addr);
			out->plen = ifs[i].plen;
			return true;
		}
	}
	return false;
}

/* reload_commit() stand-in: keeps the configuration "swapped in". */
static int fake_commit(void *arg, struct conf *edited, FILE *err)
{
	(void)arg;
	commit_calls++;
	if (commit_rc < 0) {
		fprintf(err, "refused by the test\n");
		conf_free(edited);
		return -1;
	}
	conf_free(committed);
	committed = edited;
	sctx.conf = committed;
	return 0;
}

static void set_setup(void)
{
	sconf = conf_parse_memory("set.xml", set_xml, strlen(set_xml), stderr);
	ck_assert_ptr_nonnull(sconf);
	ck_assert_int_eq(conf_check(sconf, stderr), 0);
	rows = mib_rows_new();
	ck_assert_ptr_nonnull(rows);
	fake_now = 100000;
	committed = NULL;
	commit_calls = commit_rc = 0;
	sctx = (struct mib_ctx){ .conf = sconf, .now_ms = now_ms, .start_ms = 1000, .rows = rows,
				 .adv_find = fake_adv_find };
}

static void set_teardown(void)
{
	conf_free(committed);
	conf_free(sconf);
	mib_rows_free(rows);
}

/* A varbind built from text: an OID and a value. */
struct tvb {
	uint32_t name[MIB_OID_MAX];
	uint8_t oct[40];
};

static struct mib_setvb vb_int(struct tvb *b, const char *oid, int32_t i)
{
	struct mib_setvb v = { .name = b->name, .len = O(oid, b->name), .type = MIB_INTEGER, .i = i };

	return v;
}

static struct mib_setvb vb_hex(struct tvb *b, const char *oid, const char *hex)
{
	struct mib_setvb v = { .name = b->name, .len = O(oid, b->name), .type = MIB_OCTETS,
			       .octets = b->oct };

	for (; hex[0] && hex[1] && v.olen < sizeof(b->oct); hex += 2) {
		unsigned x;

		ck_assert_int_eq(sscanf(hex, "%2x", &x), 1);
		b->oct[v.olen++] = (uint8_t)x;
	}
	return v;
}

static struct mib_setvb vb_ip(struct tvb *b, const char *oid, const char *addr)
{
	struct mib_setvb v = { .name = b->name, .len = O(oid, b->name), .type = MIB_IPADDRESS,
			       .octets = b->oct, .olen = 4 };
	struct in_addr a = A(addr);

	memcpy(b->oct, &a.s_addr, 4);
	return v;
}

/* RESERVE2 of @n varbinds; on success RESERVE2 + ACTION + COMMIT. */
static enum mib_err run_set(const struct mib_setvb *v, size_t n, size_t *bad)
{
	struct mib_txn *t = NULL;
	char why[256];
	size_t b = 99;
	enum mib_err e = mib_set_prepare(&sctx, v, n, &t, &b, why, sizeof(why));

	if (bad)
		*bad = b;
	if (e != MIB_ERR_NONE) {
		ck_assert_ptr_null(t);
		ck_assert_msg(why[0], "no reason given for %s", mib_err_name(e));
		return e;
	}
	ck_assert_int_eq(mib_set_apply(t, sctx.conf, rows, fake_commit, NULL, why, sizeof(why)),
			 MIB_ERR_NONE);
	mib_txn_free(t);
	return MIB_ERR_NONE;
}

static const struct conf_sa *sa_of(const struct conf_sa *sas, size_t n, uint32_t spi)
{
	return conf_find_sa(sas, n, spi);
}

START_TEST(test_set_check)
{
	static const uint8_t k16[16], k15[15], k17[17];
	struct tvb b;
	struct mib_setvb v;
	static const struct { const char *oid; int32_t i; enum mib_err want; } ints[] = {
		{ MIP "1.2.0", 1, MIB_ERR_NONE },                       /* mipEnable */
		{ MIP "1.2.0", 2, MIB_ERR_NONE },
		{ MIP "1.2.0", 3, MIB_ERR_WRONG_VALUE },
		{ MIP "1.2.0", 0, MIB_ERR_WRONG_VALUE },
		{ MIP "1.2.1", 1, MIB_ERR_NO_CREATION },
		{ MIP "1.2", 1, MIB_ERR_NO_CREATION },
		{ MIP "5.2.2.0", 1, MIB_ERR_NONE },                     /* faRegistrationRequired */
		{ MIP "5.2.2.0", 5, MIB_ERR_WRONG_VALUE },
		{ MIP "5.2.1.0", 1, MIB_ERR_NOT_WRITABLE },             /* faIsBusy */
		{ MIP "1.1.0", 1, MIB_ERR_NOT_WRITABLE },               /* mipEntities */
		{ MIP "6.3.3.0", 1, MIB_ERR_NOT_WRITABLE },             /* a counter */
		{ MIP "3.1.1.0", 1, MIB_ERR_NOT_WRITABLE },             /* mnState: not here */
		{ BIND "7.192.0.2.20.10.0.0.1", 1, MIB_ERR_NOT_WRITABLE },
		{ "1.3.6.1.2.1.1.5.0", 1, MIB_ERR_NOT_WRITABLE },
		{ SA "2.192.0.2.20.300", 1, MIB_ERR_NOT_WRITABLE },     /* mipSecSPI: not-accessible */
		{ SA "7.192.0.2.20.300", 1, MIB_ERR_NOT_WRITABLE },
		{ SA "3.192.0.2.20.300", 1, MIB_ERR_NONE },             /* other(1): delete */
		{ SA "3.192.0.2.20.300", 2, MIB_ERR_NONE },
		{ SA "3.192.0.2.20.300", 3, MIB_ERR_WRONG_VALUE },
		{ SA "4.192.0.2.20.300", 2, MIB_ERR_NONE },
		{ SA "4.192.0.2.20.300", 0, MIB_ERR_WRONG_VALUE },
		{ SA "6.192.0.2.20.300", 1, MIB_ERR_WRONG_VALUE },      /* replay other(1) */
		{ SA "6.192.0.2.20.300", 3, MIB_ERR_NONE },
		{ SA "3.192.0.2.20", 2, MIB_ERR_NO_CREATION },          /* index too short */
		{ SA "3.192.0.2.20.300.1", 2, MIB_ERR_NO_CREATION },    /* too long */
		{ SA "3.192.0.256.20.300", 2, MIB_ERR_NO_CREATION },    /* not an address */
		{ ADV "2.203.0.113.1", 0, MIB_ERR_WRONG_VALUE },        /* maAdvMaxRegLifetime */
		{ ADV "2.203.0.113.1", 65535, MIB_ERR_NONE },
		{ ADV "2.203.0.113.1", 65536, MIB_ERR_WRONG_VALUE },
		{ ADV "3.203.0.113.1", 1, MIB_ERR_NONE },
		{ ADV "5.203.0.113.1", 3, MIB_ERR_WRONG_VALUE },        /* maAdvMaxInterval 4..1800 */
		{ ADV "5.203.0.113.1", 1800, MIB_ERR_NONE },
		{ ADV "6.203.0.113.1", 3, MIB_ERR_NONE },               /* maAdvMinInterval 3..1800 */
		{ ADV "6.203.0.113.1", 1801, MIB_ERR_WRONG_VALUE },
		{ ADV "7.203.0.113.1", 9001, MIB_ERR_WRONG_VALUE },     /* maAdvMaxAdvLifetime 4..9000 */
		{ ADV "8.203.0.113.1", 2, MIB_ERR_NONE },
		{ ADV "9.203.0.113.1", 3, MIB_ERR_WRONG_VALUE },        /* notReady is read only */
		{ ADV "9.203.0.113.1", 7, MIB_ERR_WRONG_VALUE },
		{ ADV "9.203.0.113.1", 6, MIB_ERR_NONE },
		{ ADV "1.203.0.113.1", 6, MIB_ERR_NOT_WRITABLE },       /* the index */
		{ ADV "10.203.0.113.1", 6, MIB_ERR_NOT_WRITABLE },
		{ COA "2.203.0.113.1", 4, MIB_ERR_NONE },
		{ COA "2.203.0.113.1", 0, MIB_ERR_WRONG_VALUE },
		{ COA "1.203.0.113.1", 4, MIB_ERR_NOT_WRITABLE },
		{ MIP "5.3.1.1.2.192.0.2.1", 1, MIB_ERR_NOT_WRITABLE }, /* faVisitorTable */
	};

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = vb_int(&b, ints[i].oid, ints[i].i);
		ck_assert_msg(mib_set_check(&v) == ints[i].want, "%s = %d: %s, expected %s", ints[i].oid,
			      ints[i].i, mib_err_name(mib_set_check(&v)), mib_err_name(ints[i].want));
	}
	/* types and lengths */
	v = vb_int(&b, SA "5.192.0.2.20.300", 1);
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_TYPE);
	v.type = MIB_OCTETS;
	v.octets = k16;
	v.olen = sizeof(k16);
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_NONE);
	v.octets = k15;
	v.olen = sizeof(k15);
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_LENGTH);
	v.octets = k17;
	v.olen = sizeof(k17);
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_LENGTH);
	v.olen = 0;
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_LENGTH);
	v.type = MIB_OTHER_TYPE;
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_TYPE);
	v = vb_hex(&b, MIP "1.2.0", "01");
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_TYPE);
	v = vb_int(&b, MIP "1.2.0", 1);
	v.type = MIB_GAUGE32;
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_TYPE);
	v = vb_ip(&b, ADV "4.203.0.113.1", "224.0.0.1");
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_NONE);
	v = vb_ip(&b, ADV "4.203.0.113.1", "255.255.255.255");
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_NONE);
	v = vb_ip(&b, ADV "4.203.0.113.1", "224.0.0.2");
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_VALUE);
	v.olen = 5;
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_LENGTH);
	v = vb_int(&b, ADV "4.203.0.113.1", 1);
	ck_assert_int_eq(mib_set_check(&v), MIB_ERR_WRONG_TYPE);
	ck_assert_str_eq(mib_err_name(MIB_ERR_INCONSISTENT_NAME), "inconsistentName");
}
END_TEST

#define KEY2 "f0e1d2c3b4a5968778695a4b3c2d1e0f"

START_TEST(test_set_sa)
{
	struct tvb b[4];
	struct mib_setvb v[4];
	const struct conf_node *n;
	const struct conf_sa *sa;
	struct mib_value val;
	size_t bad;

	/* a new SA for a new node in the home network, with every column */
	v[0] = vb_int(&b[0], SA "3.192.0.2.150.600", 2);
	v[1] = vb_int(&b[1], SA "4.192.0.2.150.600", 1);
	v[2] = vb_hex(&b[2], SA "5.192.0.2.150.600", KEY2);
	v[3] = vb_int(&b[3], SA "6.192.0.2.150.600", 3);
	ck_assert_int_eq(run_set(v, 4, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 1);
	n = conf_find_node(&committed->ha, A("192.0.2.150"));
	ck_assert_ptr_nonnull(n);
	ck_assert(n->first.s_addr == n->last.s_addr);
	sa = sa_of(n->sas, n->n_sas, 600);
	ck_assert_ptr_nonnull(sa);
	ck_assert_int_eq(sa->alg, MIP_AUTH_HMAC_MD5);
	ck_assert_int_eq(sa->replay, MIP_REPLAY_NONCES);
	ck_assert_uint_eq(sa->keylen, 16);
	ck_assert_uint_eq(sa->key[0], 0xf0);
	ck_assert_uint_eq(sa->key[15], 0x0f);
	{
		struct mib_ctx keep = ctx;

		ctx = sctx;
		ck_assert_int_eq(get(SA "5.192.0.2.150.600", &val), MIB_OK);
		ck_assert_uint_eq(val.len, 0);                  /* never shown */
		ck_assert_int_eq(get(SA "6.192.0.2.150.600", &val), MIB_OK);
		ck_assert_int_eq(val.i, 3);
		ck_assert_int_eq(get(SA "3.192.0.2.200.400", &val), MIB_OK);   /* a visitor's SA */
		ctx = keep;
	}
	/* a virtual network address: a node; elsewhere: a peer agent */
	v[0] = vb_hex(&b[0], SA "5.10.1.2.3.700", KEY);
	v[1] = vb_hex(&b[1], SA "5.8.8.8.8.701", KEY);
	ck_assert_int_eq(run_set(v, 2, NULL), MIB_ERR_NONE);
	ck_assert_ptr_nonnull(conf_find_node(&committed->ha, A("10.1.2.3")));
	ck_assert_ptr_nonnull(conf_find_peer(committed, A("8.8.8.8")));
	/* prefixSuffix: keyed-md5, but an rfc2002-md5 SA stays one; other(1): hmac-md5 */
	v[0] = vb_int(&b[0], SA "4.192.0.2.150.600", 2);
	v[1] = vb_int(&b[1], SA "4.192.0.2.100.258", 2);
	v[2] = vb_int(&b[2], SA "4.192.0.2.100.257", 2);
	ck_assert_int_eq(run_set(v, 3, NULL), MIB_ERR_NONE);
	n = conf_find_node(&committed->ha, A("192.0.2.100"));
	ck_assert_int_eq(sa_of(n->sas, n->n_sas, 258)->alg, MIP_AUTH_KEYED_MD5_RFC2002);
	ck_assert_int_eq(sa_of(n->sas, n->n_sas, 257)->alg, MIP_AUTH_KEYED_MD5);
	n = conf_find_node(&committed->ha, A("192.0.2.150"));
	ck_assert_int_eq(sa_of(n->sas, n->n_sas, 600)->alg, MIP_AUTH_KEYED_MD5);
	v[0] = vb_int(&b[0], SA "4.192.0.2.100.257", 1);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	n = conf_find_node(&committed->ha, A("192.0.2.100"));
	ck_assert_int_eq(sa_of(n->sas, n->n_sas, 257)->alg, MIP_AUTH_HMAC_MD5);
	/* a range shares its SAs: a new SPI at one address is the range's */
	v[0] = vb_hex(&b[0], SA "5.192.0.2.21.301", KEY);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	n = conf_find_node(&committed->ha, A("192.0.2.22"));
	ck_assert_ptr_nonnull(sa_of(n->sas, n->n_sas, 301));
	/* delete: other(1); the peer left without SAs goes, a node's last one stays */
	commit_calls = 0;
	v[0] = vb_int(&b[0], SA "3.192.0.2.21.300", 1);
	v[1] = vb_int(&b[1], SA "3.8.8.8.8.701", 1);
	v[2] = vb_int(&b[2], SA "3.192.0.2.200.400", 1);
	ck_assert_int_eq(run_set(v, 3, NULL), MIB_ERR_NONE);
	n = conf_find_node(&committed->ha, A("192.0.2.20"));
	ck_assert_uint_eq(n->n_sas, 1);
	ck_assert_uint_eq(n->sas[0].spi, 301);
	ck_assert_ptr_null(conf_find_peer(committed, A("8.8.8.8")));
	ck_assert_uint_eq(committed->fa.n_visitors, 0);
	/* refused, with the varbind to blame */
	commit_calls = 0;
	v[0] = vb_int(&b[0], SA "3.192.0.2.21.301", 1);         /* the node's last SA */
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], SA "3.192.0.2.21.999", 1);         /* no such SA */
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], SA "3.192.0.2.100.257", 1);        /* delete and set together */
	v[1] = vb_int(&b[1], SA "6.192.0.2.100.257", 2);
	ck_assert_int_eq(run_set(v, 2, &bad), MIB_ERR_INCONSISTENT_VALUE);
	ck_assert_uint_eq(bad, 1);
	v[0] = vb_hex(&b[0], SA "5.192.0.2.100.255", KEY);      /* reserved SPI */
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_INCONSISTENT_NAME);
	v[0] = vb_int(&b[0], SA "3.192.0.2.100.900", 2);        /* a new SA without key */
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_hex(&b[0], SA "5.192.0.2.100.901", KEY);      /* fine ... */
	v[1] = vb_hex(&b[1], SA "5.192.0.2.100.902", "0011");   /* ... but this one: nothing */
	ck_assert_int_eq(run_set(v, 2, &bad), MIB_ERR_WRONG_LENGTH);
	ck_assert_uint_eq(bad, 1);
	v[0] = vb_hex(&b[0], SA "5.192.0.2.1.903", KEY);        /* the home agent's own address */
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_INCONSISTENT_VALUE);
	ck_assert_int_eq(commit_calls, 0);
	n = conf_find_node(&committed->ha, A("192.0.2.100"));
	ck_assert_uint_eq(n->n_sas, 2);
}
END_TEST

START_TEST(test_set_scalars)
{
	struct tvb b[2];
	struct mib_setvb v[2];
	struct mib_value val;

	v[0] = vb_int(&b[0], MIP "1.2.0", 2);
	v[1] = vb_int(&b[1], MIP "5.2.2.0", 1);
	ck_assert_int_eq(run_set(v, 2, NULL), MIB_ERR_NONE);
	ck_assert(!committed->mip_enable);
	ck_assert(committed->fa.registration_required);
	{
		struct mib_ctx keep = ctx;

		ctx = sctx;
		ck_assert_int_eq(get(MIP "1.2.0", &val), MIB_OK);
		ck_assert_int_eq(val.i, 2);
		ck_assert_int_eq(get(MIP "5.2.2.0", &val), MIB_OK);
		ck_assert_int_eq(val.i, 1);
		ck_assert_int_eq(get(MIP "1.1.0", &val), MIB_OK);      /* both roles */
		ck_assert_uint_eq(val.octets[0], 0x60);
		ctx = keep;
	}
	/* the same value again: nothing to commit */
	commit_calls = 0;
	v[0] = vb_int(&b[0], MIP "1.2.0", 2);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 0);
	/* a home agent only: no faRegistrationRequired to set */
	sctx.conf = conf;
	v[0] = vb_int(&b[0], MIP "5.2.2.0", 1);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
}
END_TEST

static int status_of(const char *oid)
{
	struct mib_ctx keep = ctx;
	struct mib_value val;
	enum mib_status st;

	ctx = sctx;
	st = get(oid, &val);
	ctx = keep;
	return st == MIB_OK ? val.i : 0;
}

START_TEST(test_set_adv_rowstatus)
{
	struct tvb b[3];
	struct mib_setvb v[3];
	size_t bad;

	/* rows: ha0 and fa0 advertise (active), fa1 does not (no row) */
	ck_assert_int_eq(status_of(ADV "9.192.0.2.1"), 1);
	ck_assert_int_eq(status_of(ADV "9.203.0.113.1"), 1);
	ck_assert_int_eq(status_of(ADV "9.198.51.100.1"), 0);
	{
		struct mib_ctx keep = ctx;
		struct mib_value val;

		ctx = sctx;
		ck_assert_str_eq(next_of(ADV "9.192.0.2.1", NULL), ADV "9.203.0.113.1");  /* fa1 skipped */
		ck_assert_int_eq(get(ADV "5.192.0.2.1", &val), MIB_OK);
		ck_assert_int_eq(val.i, 10);
		ck_assert_int_eq(get(ADV "4.192.0.2.1", &val), MIB_OK);
		ck_assert_uint_eq(val.type, MIB_IPADDRESS);
		ck_assert_str_eq(next_of(COA "1", NULL), COA "2.198.51.100.9");
		ck_assert_str_eq(next_of(COA "2.198.51.100.9", NULL), COA "2.203.0.113.1");
		ctx = keep;
	}
	/* RFC 2579's errors */
	v[0] = vb_int(&b[0], ADV "9.203.0.113.1", 4);           /* createAndGo, exists */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], ADV "9.203.0.113.1", 5);           /* createAndWait, exists */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], ADV "9.198.51.100.1", 1);          /* active, missing */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], ADV "9.198.51.100.1", 2);          /* notInService, missing */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], ADV "5.198.51.100.1", 20);         /* a column of a missing row */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_NAME);
	v[0] = vb_int(&b[0], ADV "9.203.0.113.9", 6);           /* no interface has it */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NO_CREATION);
	v[0] = vb_int(&b[0], ADV "6.192.0.2.1", 11);            /* min above max: conf_check */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	ck_assert_int_eq(commit_calls, 0);
	/* destroy of a row that is not there: noError, nothing changes */
	v[0] = vb_int(&b[0], ADV "9.198.51.100.1", 6);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 0);
	/* destroy: advertise="false", the row is gone */
	v[0] = vb_int(&b[0], ADV "9.203.0.113.1", 6);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert(!conf_find_fa_if(&committed->fa, "fa0")->advertise);
	ck_assert_int_eq(status_of(ADV "9.203.0.113.1"), 0);
	/* createAndGo with columns */
	v[0] = vb_int(&b[0], ADV "9.203.0.113.1", 4);
	v[1] = vb_int(&b[1], ADV "5.203.0.113.1", 30);
	v[2] = vb_int(&b[2], ADV "7.203.0.113.1", 90);
	ck_assert_int_eq(run_set(v, 3, NULL), MIB_ERR_NONE);
	ck_assert(conf_find_fa_if(&committed->fa, "fa0")->advertise);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa0")->max_interval, 30);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa0")->adv_lifetime, 90);
	ck_assert_int_eq(status_of(ADV "9.203.0.113.1"), 1);
	/* createAndWait on fa1: a row held notInService, no change in the file */
	commit_calls = 0;
	v[0] = vb_int(&b[0], ADV "9.198.51.100.1", 5);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 0);
	ck_assert_int_eq(status_of(ADV "9.198.51.100.1"), 2);
	v[0] = vb_int(&b[0], ADV "5.198.51.100.1", 20);         /* its columns may change */
	v[1] = vb_int(&b[1], ADV "6.198.51.100.1", 15);
	ck_assert_int_eq(run_set(v, 2, NULL), MIB_ERR_NONE);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa1")->max_interval, 20);
	ck_assert(!conf_find_fa_if(&committed->fa, "fa1")->advertise);
	v[0] = vb_int(&b[0], ADV "9.198.51.100.1", 1);          /* active */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert(conf_find_fa_if(&committed->fa, "fa1")->advertise);
	ck_assert_int_eq(status_of(ADV "9.198.51.100.1"), 1);
	/* notInService of an active row: held for MIB_ROW_HOLD_MS, then gone */
	v[0] = vb_int(&b[0], ADV "9.192.0.2.1", 2);
	ck_assert_int_eq(run_set(v, 1, &bad), MIB_ERR_NONE);
	ck_assert(!committed->ha.adv->advertise);
	ck_assert_int_eq(status_of(ADV "9.192.0.2.1"), 2);
	fake_now += MIB_ROW_HOLD_MS;
	ck_assert_int_eq(status_of(ADV "9.192.0.2.1"), 0);
}
END_TEST

START_TEST(test_set_coa_rowstatus)
{
	struct tvb b[2];
	struct mib_setvb v[2];
	const struct conf_adv_if *i;

	v[0] = vb_int(&b[0], COA "2.203.0.113.1", 4);           /* exists */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], COA "2.127.0.0.1", 4);             /* never a care-of address */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NO_CREATION);
	v[0] = vb_int(&b[0], COA "2.224.0.0.5", 6);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NO_CREATION);
	v[0] = vb_int(&b[0], COA "2.8.8.4.4", 4);               /* which interface? */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], COA "2.203.0.113.1", 6);           /* fa0's only one */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	v[0] = vb_int(&b[0], COA "2.203.0.113.5", 1);           /* active, missing */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_INCONSISTENT_VALUE);
	ck_assert_int_eq(commit_calls, 0);
	v[0] = vb_int(&b[0], COA "2.203.0.113.5", 6);           /* destroy, missing: noError */
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 0);
	/* createAndGo: the interface whose prefix holds it */
	v[0] = vb_int(&b[0], COA "2.203.0.113.5", 4);
	v[1] = vb_int(&b[1], COA "2.198.51.100.50", 4);
	ck_assert_int_eq(run_set(v, 2, NULL), MIB_ERR_NONE);
	i = conf_find_fa_if(&committed->fa, "fa0");
	ck_assert_uint_eq(i->n_coas, 2);
	ck_assert(i->coas[1].addr.s_addr == A("203.0.113.5").s_addr);
	i = conf_find_fa_if(&committed->fa, "fa1");
	ck_assert_uint_eq(i->n_coas, 2);
	ck_assert(i->coas[1].addr.s_addr == A("198.51.100.50").s_addr);
	ck_assert_int_eq(status_of(COA "2.203.0.113.5"), 1);
	/* destroy; createAndWait: held, not in the file; active: in the file */
	v[0] = vb_int(&b[0], COA "2.203.0.113.1", 6);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa0")->n_coas, 1);
	commit_calls = 0;
	v[0] = vb_int(&b[0], COA "2.203.0.113.1", 5);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(commit_calls, 0);
	ck_assert_int_eq(status_of(COA "2.203.0.113.1"), 2);
	v[0] = vb_int(&b[0], COA "2.203.0.113.1", 1);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(status_of(COA "2.203.0.113.1"), 1);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa0")->n_coas, 2);
	/* notInService of an active one: out of the file, held */
	v[0] = vb_int(&b[0], COA "2.203.0.113.5", 2);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_uint_eq(conf_find_fa_if(&committed->fa, "fa0")->n_coas, 1);
	ck_assert_int_eq(status_of(COA "2.203.0.113.5"), 2);
	v[0] = vb_int(&b[0], COA "2.203.0.113.5", 6);
	ck_assert_int_eq(run_set(v, 1, NULL), MIB_ERR_NONE);
	ck_assert_int_eq(status_of(COA "2.203.0.113.5"), 0);
}
END_TEST

START_TEST(test_set_apply_undo)
{
	struct tvb b[2];
	struct mib_setvb v[2];
	struct mib_txn *t = NULL;
	char why[256];
	size_t bad;

	v[0] = vb_int(&b[0], MIP "1.2.0", 2);
	v[1] = vb_int(&b[1], COA "2.203.0.113.7", 5);
	ck_assert_int_eq(mib_set_prepare(&sctx, v, 2, &t, &bad, why, sizeof(why)), MIB_ERR_NONE);
	ck_assert_ptr_nonnull(strstr(mib_txn_summary(t), "mipEnable disabled"));
	/* the configuration changed in between: refused */
	ck_assert_int_eq(mib_set_apply(t, committed, rows, fake_commit, NULL, why, sizeof(why)),
			 MIB_ERR_COMMIT_FAILED);
	ck_assert_int_eq(commit_calls, 0);
	mib_txn_free(t);
	/* reload_commit refuses: commitFailed, nothing applied */
	ck_assert_int_eq(mib_set_prepare(&sctx, v, 2, &t, &bad, why, sizeof(why)), MIB_ERR_NONE);
	commit_rc = -1;
	ck_assert_int_eq(mib_set_apply(t, sctx.conf, rows, fake_commit, NULL, why, sizeof(why)),
			 MIB_ERR_COMMIT_FAILED);
	ck_assert_str_eq(why, "refused by the test");
	ck_assert_int_eq(status_of(COA "2.203.0.113.7"), 0);
	mib_txn_free(t);
	/* applied, then undone: the configuration as it was, the row gone */
	commit_rc = 0;
	ck_assert_int_eq(mib_set_prepare(&sctx, v, 2, &t, &bad, why, sizeof(why)), MIB_ERR_NONE);
	ck_assert_int_eq(mib_set_apply(t, sctx.conf, rows, fake_commit, NULL, why, sizeof(why)),
			 MIB_ERR_NONE);
	ck_assert(!committed->mip_enable);
	ck_assert_int_eq(status_of(COA "2.203.0.113.7"), 2);
	ck_assert_int_eq(mib_set_undo(t, rows, fake_commit, NULL), MIB_ERR_NONE);
	ck_assert(committed->mip_enable);
	ck_assert_int_eq(commit_calls, 3);
	ck_assert_int_eq(status_of(COA "2.203.0.113.7"), 0);
	mib_txn_free(t);
}
END_TEST

START_TEST(test_vindex)
{
	struct mib_vindex *vi = mib_vindex_new();
	struct mib_vkey k = { .src = A("10.0.0.2"), .hoa = A("192.0.2.5"), .ha = A("192.0.2.1"), .ifindex = 3 };
	struct mib_vkey k2 = { .src = A("10.0.0.1"), .hoa = A("192.0.2.9"), .ha = A("192.0.2.1"), .ifindex = 3 };
	struct mib_vkey q = { .src = A("0.0.0.0"), .ifindex = INT32_MIN };
	const struct mib_vkey *e;

	ck_assert_ptr_nonnull(vi);
	ck_assert_int_eq(mib_vindex_add(vi, &k), 0);
	ck_assert_int_eq(mib_vindex_add(vi, &k2), 0);
	ck_assert_int_eq(mib_vindex_add(vi, &k), 0);            /* twice: once */
	ck_assert_uint_eq(mib_vindex_count(vi), 2);
	e = mib_vindex_ge(vi, &q);                               /* by source address first */
	ck_assert(e && e->hoa.s_addr == k2.hoa.s_addr);
	q.src = A("10.0.0.2");
	e = mib_vindex_ge(vi, &q);
	ck_assert(e && e->hoa.s_addr == k.hoa.s_addr);
	q.src = A("10.0.0.3");
	ck_assert_ptr_null(mib_vindex_ge(vi, &q));
	/* removed by a key whose source changed silently */
	k.src = A("10.9.9.9");
	mib_vindex_del(vi, &k);
	ck_assert_uint_eq(mib_vindex_count(vi), 1);
	mib_vindex_del(vi, &k);
	ck_assert_uint_eq(mib_vindex_count(vi), 1);
	mib_vindex_free(vi);
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
	tc = tcase_create("set");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, set_setup, set_teardown);
	tcase_add_test(tc, test_set_check);
	tcase_add_test(tc, test_set_sa);
	tcase_add_test(tc, test_set_scalars);
	tcase_add_test(tc, test_set_adv_rowstatus);
	tcase_add_test(tc, test_set_coa_rowstatus);
	tcase_add_test(tc, test_set_apply_undo);
	tcase_add_test(tc, test_vindex);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
