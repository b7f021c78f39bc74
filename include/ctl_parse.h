/* The control socket's request line, split into words by a pure function
 * (no daemon, no socket), so that it can be tested and fuzzed on its own.
 * A request is "MIP/1 VERB [WORD...]" (ctl.h); words are separated by
 * blanks (space, tab). */
#ifndef MIP_CTL_PARSE_H
#define MIP_CTL_PARSE_H

#include <netinet/in.h>

#define CTL_REQ_MAX 1024        /* longest request line, without its newline */
#define CTL_REQ_WORDS 32

struct ctl_request {
	char buf[CTL_REQ_MAX];          /* the words, each NUL-terminated */
	const char *word[CTL_REQ_WORDS];
	int n;                          /* word[0] is the version */
};

enum ctl_parse_result {
	CTL_REQ_OK,
	CTL_REQ_VERSION,                /* empty, or not MIP_CTL_VERSION */
	CTL_REQ_TOO_LONG,               /* CTL_REQ_MAX bytes or more */
	CTL_REQ_TOO_MANY,               /* more than CTL_REQ_WORDS words */
	CTL_REQ_CONTROL,                /* a control character other than a blank */
};

/** Split @line (NUL-terminated, no newline) into @rq. */
enum ctl_parse_result ctl_request_parse(const char *line, struct ctl_request *rq);
/** The word @i of @rq, or NULL. */
const char *ctl_request_word(const struct ctl_request *rq, int i);
/** An address argument: NULL or "all" give INADDR_ANY; -1 if invalid. */
int ctl_parse_addr(const char *s, struct in_addr *a);

#endif
