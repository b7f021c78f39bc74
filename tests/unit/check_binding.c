/* Unit tests of the timer heap, the node table and the binding list. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "binding.h"
#include "node.h"
#include "timer.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

struct probe {
	struct mip_timer t;
	int fired;
	uint64_t order;
};

static uint64_t fire_seq;

static void probe_cb(struct mip_timer *t)
{
	struct probe *p = container_of(t, struct probe, t);

	p->fired++;
	p->order = ++fire_seq;
}

START_TEST(test_timer_order_and_cancel)
{
	struct timer_heap th = { 0 };
	struct probe p[200];

	fire_seq = 0;
	for (int i = 0; i < 200; i++) {
		timer_init(&p[i].t, probe_cb);
		p[i].fired = 0;
		/* a scrambled but known order: deadline (i * 37) % 200 */
		ck_assert_int_eq(timer_schedule(&th, &p[i].t, (uint64_t)((i * 37) % 200) + 1000), 0);
	}
	for (int i = 0; i < 200; i += 3)
		timer_cancel(&th, &p[i].t);
	ck_assert(!timer_pending(&p[0].t));
	/* move one to the front and one to the back */
	timer_schedule(&th, &p[1].t, 10);
	timer_schedule(&th, &p[2].t, 5000);
	ck_assert_uint_eq(timer_next(&th), 10);
	ck_assert_uint_eq(timer_run(&th, 1199, 1000), 200 - 67 - 1);
	for (int i = 0; i < 200; i++) {
		if (i % 3 == 0 || i == 2)
			ck_assert_int_eq(p[i].fired, 0);
		else
			ck_assert_int_eq(p[i].fired, 1);
	}
	ck_assert_uint_eq(p[1].order, 1);
	/* deadlines fired in order */
	for (int i = 3; i < 200; i++)
		for (int j = 3; j < 200; j++)
			if (p[i].fired && p[j].fired && (i * 37) % 200 < (j * 37) % 200)
				ck_assert_uint_lt(p[i].order, p[j].order);
	ck_assert_uint_eq(timer_next(&th), 5000);
	ck_assert_uint_eq(timer_run(&th, 6000, 1000), 1);
	ck_assert_uint_eq(timer_next(&th), TIMER_NONE);
	timer_heap_free(&th);
}
END_TEST

START_TEST(test_timer_run_bounded)
{
	struct timer_heap th = { 0 };
	struct probe p[10];

	for (int i = 0; i < 10; i++) {
		timer_init(&p[i].t, probe_cb);
		timer_schedule(&th, &p[i].t, 100);
	}
	ck_assert_uint_eq(timer_run(&th, 100, 4), 4);
	ck_assert_uint_eq(timer_run(&th, 100, 4), 4);
	ck_assert_uint_eq(timer_run(&th, 100, 4), 2);
	ck_assert_uint_eq(timer_run(&th, 100, 4), 0);
	timer_heap_free(&th);
}
END_TEST

START_TEST(test_node_table)
{
	struct node_table nt;
	char buf[32];

	ck_assert_int_eq(node_table_init(&nt), 0);
	/* enough nodes to force several rehashes */
	for (int i = 5000; i > 0; i--) {
		snprintf(buf, sizeof(buf), "10.%d.%d.1", i / 256, i % 256);
		ck_assert_ptr_nonnull(node_get(&nt, A(buf), NULL));
	}
	ck_assert_uint_eq(nt.count, 5000);
	ck_assert_ptr_eq(node_get(&nt, A("10.0.1.1"), NULL), node_find(&nt, A("10.0.1.1")));
	ck_assert_uint_eq(nt.count, 5000);
	ck_assert_ptr_null(node_find(&nt, A("10.0.0.1")));
	/* walk in address order */
	{
		struct mip_node *n = node_first(&nt);
		int seen = 1;

		ck_assert_str_eq(inet_ntoa(n->hoa), "10.0.1.1");
		for (struct mip_node *m; (m = node_next(&nt, n->hoa)); n = m, seen++)
			ck_assert_int_lt(addr_cmp(n->hoa, m->hoa), 0);
		ck_assert_int_eq(seen, 5000);
	}
	ck_assert_str_eq(inet_ntoa(node_next(&nt, A("10.0.1.0"))->hoa), "10.0.1.1");
	ck_assert_str_eq(inet_ntoa(node_next(&nt, A("10.0.1.1"))->hoa), "10.0.2.1");
	node_remove(&nt, node_find(&nt, A("10.0.2.1")));
	ck_assert_str_eq(inet_ntoa(node_next(&nt, A("10.0.1.1"))->hoa), "10.0.3.1");
	ck_assert_ptr_null(node_find(&nt, A("10.0.2.1")));
	node_table_free(&nt);
}
END_TEST

START_TEST(test_binding_index_order)
{
	struct node_table nt;
	struct binding_table bt;
	struct mip_node *n1, *n2;
	struct mip_binding *b;
	const char *expect[][2] = {
		{ "192.0.2.9", "203.0.113.1" }, { "192.0.2.9", "203.0.113.7" },
		{ "192.0.2.10", "198.51.100.2" }, { "192.0.2.10", "203.0.113.1" },
	};
	int i = 0;

	node_table_init(&nt);
	binding_table_init(&bt);
	n1 = node_get(&nt, A("192.0.2.10"), NULL);
	n2 = node_get(&nt, A("192.0.2.9"), NULL);
	binding_add(&bt, n1, A("203.0.113.1"));
	binding_add(&bt, n1, A("198.51.100.2"));
	binding_add(&bt, n2, A("203.0.113.7"));
	binding_add(&bt, n2, A("203.0.113.1"));
	ck_assert_uint_eq(bt.count, 4);
	ck_assert_int_eq(n1->n_bindings, 2);
	/* numeric (not byte-wise) order of the index: 192.0.2.9 < 192.0.2.10 */
	for (b = binding_first(&bt); b; b = binding_next(&bt, b->node->hoa, b->coa), i++) {
		char h[16], c[16];

		inet_ntop(AF_INET, &b->node->hoa, h, sizeof(h));
		inet_ntop(AF_INET, &b->coa, c, sizeof(c));
		ck_assert_str_eq(h, expect[i][0]);
		ck_assert_str_eq(c, expect[i][1]);
	}
	ck_assert_int_eq(i, 4);
	ck_assert_ptr_eq(binding_lookup(&bt, A("192.0.2.10"), A("198.51.100.2")),
			 binding_find(n1, A("198.51.100.2")));
	ck_assert_ptr_null(binding_lookup(&bt, A("192.0.2.10"), A("198.51.100.3")));
	/* GETNEXT from an index that does not exist */
	b = binding_next(&bt, A("192.0.2.9"), A("203.0.113.2"));
	ck_assert_str_eq(inet_ntoa(b->coa), "203.0.113.7");
	binding_del(&bt, binding_find(n1, A("203.0.113.1")));
	ck_assert_int_eq(n1->n_bindings, 1);
	ck_assert_ptr_null(binding_find(n1, A("203.0.113.1")));
	ck_assert_uint_eq(bt.count, 3);
	while ((b = binding_first(&bt)))
		binding_del(&bt, b);
	node_table_free(&nt);
}
END_TEST

START_TEST(test_binding_remaining)
{
	struct mip_binding b = { .granted_ms = 1000, .lifetime = 10 };

	ck_assert_uint_eq(binding_remaining(&b, 1000), 10);
	ck_assert_uint_eq(binding_remaining(&b, 1001), 10);   /* rounds up */
	ck_assert_uint_eq(binding_remaining(&b, 10999), 1);
	ck_assert_uint_eq(binding_remaining(&b, 11000), 0);
	ck_assert_uint_eq(binding_remaining(&b, 50000), 0);
	b.lifetime = 0xffff;
	ck_assert_uint_eq(binding_remaining(&b, 1u << 30), 0xffff);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("binding");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_timer_order_and_cancel);
	tcase_add_test(tc, test_timer_run_bounded);
	tcase_add_test(tc, test_node_table);
	tcase_add_test(tc, test_binding_index_order);
	tcase_add_test(tc, test_binding_remaining);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
