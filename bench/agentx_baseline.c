/* The AgentX baseline of bench/snmp_walk.sh: a minimal Net-SNMP subagent
 * serving a static table shaped like haMobilityBindingTable (8 columns,
 * index: two IpAddresses, the same value types) from a sorted array, with
 * GET and GETNEXT by binary search.  A walk of it through snmpd measures
 * what AgentX and snmpd themselves cost; mipagent's walk is compared with
 * it.  The table is registered at mib-2.254 (the same OID length as
 * mipMIB = mib-2.44), so both walks encode the same number of bytes.
 *
 *   agentx_baseline SOCKET ROWS [FIRST-ADDRESS]
 * rows: home addresses FIRST-ADDRESS (default 10.64.0.1) upward, care-of
 * address 203.0.113.10.  Runs until SIGTERM/SIGINT. */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_LEN 8
#define COLS 8

/* mib-2.254.1.6.3.1.1: the entry, like haMobilityBindingEntry under mib-2.44 */
static const oid entry_oid[] = { 1, 3, 6, 1, 2, 1, 254, 1, 6, 3, 1, 1 };
#define ENTRY_LEN (sizeof(entry_oid) / sizeof(entry_oid[0]))

struct row {
	oid index[INDEX_LEN];
	uint8_t hoa[4], coa[4];
	long id_low, id_high, granted;
	u_long remaining;
	uint8_t flags;
};

static struct row *rows;
static size_t n_rows;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* -1, 0, 1: row index @a against the OID part @b[0..blen) (shorter first). */
static int idx_cmp(const oid *a, const oid *b, size_t blen)
{
	size_t n = blen < INDEX_LEN ? blen : INDEX_LEN;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return blen < INDEX_LEN ? 1 : blen > INDEX_LEN ? -1 : 0;
}

/* The first row whose index is > @b (strictly) or, with @eq, >= @b. */
static size_t row_after(const oid *b, size_t blen, int eq)
{
	size_t lo = 0, hi = n_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = idx_cmp(rows[mid].index, b, blen);

		if (c < 0 || (c == 0 && !eq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void set_value(netsnmp_variable_list *vb, const struct row *r, unsigned col)
{
	switch (col) {
	case 1: snmp_set_var_typed_value(vb, ASN_IPADDRESS, r->hoa, 4); break;
	case 2: snmp_set_var_typed_value(vb, ASN_IPADDRESS, r->coa, 4); break;
	case 3: snmp_set_var_typed_value(vb, ASN_IPADDRESS, r->coa, 4); break;
	case 4: snmp_set_var_typed_value(vb, ASN_OCTET_STR, &r->flags, 1); break;
	case 5: snmp_set_var_typed_value(vb, ASN_INTEGER, &r->id_low, sizeof(long)); break;
	case 6: snmp_set_var_typed_value(vb, ASN_INTEGER, &r->id_high, sizeof(long)); break;
	case 7: snmp_set_var_typed_value(vb, ASN_INTEGER, &r->granted, sizeof(long)); break;
	default: snmp_set_var_typed_value(vb, ASN_GAUGE, &r->remaining, sizeof(u_long)); break;
	}
}

static void answer(netsnmp_variable_list *vb, unsigned col, size_t i)
{
	oid name[ENTRY_LEN + 1 + INDEX_LEN];

	memcpy(name, entry_oid, sizeof(entry_oid));
	name[ENTRY_LEN] = col;
	memcpy(name + ENTRY_LEN + 1, rows[i].index, sizeof(rows[i].index));
	snmp_set_var_objid(vb, name, ENTRY_LEN + 1 + INDEX_LEN);
	set_value(vb, &rows[i], col);
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)h, (void)reg;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		const oid *name = vb->name;
		size_t len = vb->name_length;
		int c = snmp_oid_compare(name, len < ENTRY_LEN ? len : ENTRY_LEN, entry_oid, ENTRY_LEN);
		unsigned col = 1;
		size_t i = 0;

		if (reqinfo->mode == MODE_GET) {
			if (c || len != ENTRY_LEN + 1 + INDEX_LEN || name[ENTRY_LEN] < 1 ||
			    name[ENTRY_LEN] > COLS) {
				netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
				continue;
			}
			i = row_after(name + ENTRY_LEN + 1, INDEX_LEN, 1);
			if (i == n_rows || idx_cmp(rows[i].index, name + ENTRY_LEN + 1, INDEX_LEN))
				netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
			else
				set_value(vb, &rows[i], (unsigned)name[ENTRY_LEN]);
			continue;
		}
		if (reqinfo->mode != MODE_GETNEXT || c > 0)
			continue;
		if (c == 0 && len > ENTRY_LEN) {
			col = name[ENTRY_LEN] < 1 ? 1 : (unsigned)name[ENTRY_LEN];
			if (name[ENTRY_LEN] >= 1 && name[ENTRY_LEN] <= COLS)
				i = row_after(name + ENTRY_LEN + 1, len - ENTRY_LEN - 1, 0);
			if (name[ENTRY_LEN] > COLS)
				continue;
		}
		if (i == n_rows) {
			col++;
			i = 0;
		}
		if (col > COLS || n_rows == 0)
			continue;       /* after the table: the next registration */
		answer(vb, col, i);
	}
	return SNMP_ERR_NOERROR;
}

int main(int argc, char **argv)
{
	struct in_addr first = { .s_addr = htonl(0x0a400001) };
	netsnmp_handler_registration *reg;
	uint32_t h;

	if (argc < 3 || (argc > 3 && inet_pton(AF_INET, argv[3], &first) != 1)) {
		fprintf(stderr, "usage: agentx_baseline SOCKET ROWS [FIRST-ADDRESS]\n");
		return 64;
	}
	n_rows = strtoul(argv[2], NULL, 10);
	rows = calloc(n_rows ? n_rows : 1, sizeof(*rows));
	if (!rows)
		return 1;
	h = ntohl(first.s_addr);
	for (size_t i = 0; i < n_rows; i++, h++) {     /* ascending: already sorted */
		struct row *r = &rows[i];
		uint32_t hn = htonl(h), cn = htonl(0xcb00710a);    /* 203.0.113.10 */

		memcpy(r->hoa, &hn, 4);
		memcpy(r->coa, &cn, 4);
		for (int k = 0; k < 4; k++) {
			r->index[k] = r->hoa[k];
			r->index[4 + k] = r->coa[k];
		}
		r->id_low = (long)(int32_t)(0x9abcdef0u + (uint32_t)i);
		r->id_high = (long)(int32_t)0xe8a1b2c3u;
		r->granted = 65534;
		r->remaining = 65000;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setenv("MIBS", "", 0);
	snmp_disable_log();
	snmp_enable_stderrlog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
	init_agent("agentx_baseline");
	reg = netsnmp_create_handler_registration("baseline", handler, entry_oid, ENTRY_LEN - 1,
						  HANDLER_CAN_RONLY);
	if (!reg || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		fprintf(stderr, "agentx_baseline: cannot register\n");
		return 1;
	}
	init_snmp("agentx_baseline");
	while (!stop)
		agent_check_and_process(1);
	snmp_shutdown("agentx_baseline");
	free(rows);
	return 0;
}
