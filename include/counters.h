/* Agent-wide counters: one enum that maps one-to-one onto MIP-MIB objects
 * (RFC 2006), read by the SNMP subagent and mipagentstat alike.  Counters
 * with an empty MIB name are mipagent's own. */
#ifndef MIP_COUNTERS_H
#define MIP_COUNTERS_H

#include <stdint.h>

/* X(enum suffix, MIB object name, description) */
#define MIP_COUNTERS(X)                                                                      \
	X(SEC_TOTAL_VIOLATIONS, "mipSecTotalViolations", "security violations")              \
	X(HA_REG_ACCEPTED, "haRegistrationAccepted", "requests accepted (code 0)")           \
	X(HA_MULTI_BINDING_UNSUPPORTED, "haMultiBindingUnsupported", "accepted without simultaneous bindings (code 1)") \
	X(HA_REASON_UNSPECIFIED, "haReasonUnspecified", "denied, reason unspecified (128)")   \
	X(HA_ADM_PROHIBITED, "haAdmProhibited", "denied, administratively prohibited (129)") \
	X(HA_INSUFFICIENT_RESOURCE, "haInsufficientResource", "denied, insufficient resources (130)") \
	X(HA_MN_AUTH_FAILURE, "haMNAuthenticationFailure", "denied, mobile node failed authentication (131)") \
	X(HA_FA_AUTH_FAILURE, "haFAAuthenticationFailure", "denied, foreign agent failed authentication (132)") \
	X(HA_ID_MISMATCH, "haIDMismatch", "denied, identification mismatch (133)")           \
	X(HA_POORLY_FORMED, "haPoorlyFormedRequest", "denied, poorly formed request (134)")  \
	X(HA_TOO_MANY_BINDINGS, "haTooManyBindings", "denied, too many bindings (135)")      \
	X(HA_UNKNOWN_HA, "haUnknownHA", "denied, unknown home agent address (136)")          \
	X(HA_GRATUITOUS_ARPS, "haGratuitiousARPsSent", "gratuitous ARPs sent")               \
	X(HA_PROXY_ARPS, "haProxyARPsSent", "proxy ARP entries installed")                   \
	X(HA_REG_REQUESTS, "haRegRequestsReceived", "registration requests received")        \
	X(HA_DEREG_REQUESTS, "haDeRegRequestsReceived", "deregistration requests received")  \
	X(HA_REG_REPLIES, "haRegRepliesSent", "registration replies sent")                   \
	X(HA_DEREG_REPLIES, "haDeRegRepliesSent", "deregistration replies sent")             \
	X(HA_DENIED_OTHER, "", "denied with a reverse-tunnelling code (137-139)")            \
	X(HA_DISCARDED, "", "requests silently discarded")                                   \
	X(HA_BINDINGS_EXPIRED, "", "bindings expired")                                      \
	X(MA_ADVS_SENT, "maAdvertisementsSent", "agent advertisements sent")                 \
	X(MA_ADVS_FOR_SOLICITATION, "maAdvsSentForSolicitation", "advertisements sent for solicitations") \
	X(MA_SOLICITATIONS, "maSolicitationsReceived", "agent solicitations received")       \
	X(FA_REG_REQUESTS, "faRegRequestsReceived", "FA: valid registration requests received") \
	X(FA_REG_RELAYED, "faRegRequestsRelayed", "FA: requests relayed to home agents")     \
	X(FA_REASON_UNSPECIFIED, "faReasonUnspecified", "FA: denied, reason unspecified (64)") \
	X(FA_ADM_PROHIBITED, "faAdmProhibited", "FA: denied, administratively prohibited (65)") \
	X(FA_INSUFFICIENT_RESOURCE, "faInsufficientResource", "FA: denied, insufficient resources (66)") \
	X(FA_MN_AUTH_FAILURE, "faMNAuthenticationFailure", "FA: denied, mobile node failed authentication (67)") \
	X(FA_LIFETIME_TOO_LONG, "faRegLifetimeTooLong", "FA: denied, lifetime too long (69)") \
	X(FA_POORLY_FORMED_REQUESTS, "faPoorlyFormedRequests", "FA: denied, poorly formed request (70)") \
	X(FA_ENCAPS_UNAVAILABLE, "faEncapsulationUnavailable", "FA: denied, encapsulation unavailable (72)") \
	X(FA_VJ_UNAVAILABLE, "faVJCompressionUnavailable", "FA: denied, VJ compression unavailable (73)") \
	X(FA_HA_UNREACHABLE, "faHAUnreachable", "FA: denied, home agent unreachable (80-95)") \
	X(FA_REPLIES_RECEIVED, "faRegRepliesRecieved", "FA: well-formed replies received")   \
	X(FA_REPLIES_RELAYED, "faRegRepliesRelayed", "FA: replies relayed to mobile nodes")  \
	X(FA_HA_AUTH_FAILURE, "faHAAuthenticationFailure", "FA: home agent failed authentication (68)") \
	X(FA_POORLY_FORMED_REPLIES, "faPoorlyFormedReplies", "FA: poorly formed replies (71)") \
	X(FA_REVTUN_DENIED, "", "FA: denied by reverse tunnelling rules (74-76, 79)")        \
	X(FA_BAD_COA, "", "FA: denied, invalid care-of address (77)")                        \
	X(FA_TIMEOUTS, "", "FA: denied, registration timeout (78)")                          \
	X(FA_DISCARDED, "", "FA: messages silently discarded")                               \
	X(FA_VISITORS_EXPIRED, "", "FA: visitor entries expired")                         \
	X(RL_DROPPED_SOURCE, "", "datagrams dropped: per-source rate limit")                \
	X(RL_DROPPED_GLOBAL, "", "datagrams dropped: overall rate limit of unknown sources") \
	X(RL_DROPPED_TRUSTED, "", "datagrams dropped: overall rate limit of known sources") \
	X(RL_SOURCES_EVICTED, "", "rate limit: least recently seen sources forgotten")      \
	X(LOG_SUPPRESSED, "", "log lines suppressed by the log rate limit")                \
	X(TRAPS_SUPPRESSED, "", "mipAuthFailure notifications not sent (rate limit)")      \
	X(XFRM_POLICIES_ADDED, "", "IPsec policies installed")                             \
	X(XFRM_POLICIES_REMOVED, "", "IPsec policies removed")                             \
	X(XFRM_ERRORS, "", "IPsec policies that could not be installed or removed") \
	X(LOOP_STALLS, "", "event-loop turns longer than 10 ms")

enum mip_counter {
#define X(name, mib, desc) MIP_CTR_##name,
	MIP_COUNTERS(X)
#undef X
	MIP_CTR_COUNT
};

extern uint32_t mip_counters[MIP_CTR_COUNT];

static inline void mip_count(enum mip_counter c) { mip_counters[c]++; }
const char *mip_counter_mib_name(enum mip_counter c);
const char *mip_counter_desc(enum mip_counter c);
/** A stable name for every counter, MIB object or not: the enum's, in
 *  lower case with dashes ("rl-dropped-source"). */
const char *mip_counter_key(enum mip_counter c);
void mip_counters_reset(void);

#endif
