/* The control socket's request line into words (see ctl_parse.h). */
#include "config.h"
#include <string.h>
#include <arpa/inet.h>
#include "ctl.h"
#include "ctl_parse.h"

enum ctl_parse_result ctl_request_parse(const char *line, struct ctl_request *rq)
{
	size_t len = strnlen(line, CTL_REQ_MAX);
	char *p;

	rq->n = 0;
	if (len >= CTL_REQ_MAX)
		return CTL_REQ_TOO_LONG;
	memcpy(rq->buf, line, len + 1);
	for (p = rq->buf; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return CTL_REQ_CONTROL;
	p = rq->buf;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		if (rq->n == CTL_REQ_WORDS)
			return CTL_REQ_TOO_MANY;
		rq->word[rq->n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
	if (rq->n == 0 || strcmp(rq->word[0], MIP_CTL_VERSION))
		return CTL_REQ_VERSION;
	return CTL_REQ_OK;
}

const char *ctl_request_word(const struct ctl_request *rq, int i)
{
	return i >= 0 && i < rq->n ? rq->word[i] : NULL;
}

int ctl_parse_addr(const char *s, struct in_addr *a)
{
	if (!s || strcmp(s, "all") == 0) {
		a->s_addr = INADDR_ANY;
		return 0;
	}
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}
