/* libFuzzer harness: the control socket's request line parser (ctl_parse.c)
 * on arbitrary bytes.  Checks: on success the words are non-empty, blank-free,
 * inside the request's own buffer, start with the protocol version, and
 * joining them with single spaces parses back to the same words. */
/* fuzz-sources: agent/ctl_parse.c */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "ctl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(const struct ctl_request *rq)
{
	if (rq->n < 1 || rq->n > CTL_REQ_WORDS || strcmp(rq->word[0], MIP_CTL_VERSION))
		abort();
	for (int i = 0; i < rq->n; i++) {
		const char *w = rq->word[i];

		if (w < rq->buf || w >= rq->buf + sizeof(rq->buf) || !*w || strpbrk(w, " \t"))
			abort();
		if (ctl_request_word(rq, i) != w)
			abort();
	}
	if (ctl_request_word(rq, rq->n) || ctl_request_word(rq, -1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[CTL_REQ_MAX + 64], again[CTL_REQ_MAX + 64];
	static struct ctl_request rq, rq2;
	struct in_addr a;
	size_t o = 0;

	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_request_parse(line, &rq) != CTL_REQ_OK) {
		(void)ctl_parse_addr(line, &a);
		return 0;
	}
	check_words(&rq);
	for (int i = 0; i < rq.n; i++) {
		size_t n = strlen(rq.word[i]);

		if (o + n + 2 > sizeof(again))
			abort();
		if (i)
			again[o++] = ' ';
		memcpy(again + o, rq.word[i], n);
		o += n;
		(void)ctl_parse_addr(rq.word[i], &a);
	}
	again[o] = '\0';
	if (ctl_request_parse(again, &rq2) != CTL_REQ_OK || rq2.n != rq.n)
		abort();
	for (int i = 0; i < rq.n; i++)
		if (strcmp(rq.word[i], rq2.word[i]))
			abort();
	return 0;
}
