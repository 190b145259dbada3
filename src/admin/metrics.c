/*
 * admin/metrics.c -- counters and their Prometheus rendering.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "admin/metrics.h"
#include "core/event.h"

static _Atomic uint64_t m_requests[SIP_METHOD__COUNT];
static _Atomic uint64_t m_rsp_in[700];
static _Atomic uint64_t m_rsp_out[700];
static _Atomic uint64_t m_drops[REASON__COUNT];
static _Atomic uint64_t m_rejects[REASON__COUNT];
static _Atomic uint64_t m_parse_errors;
static _Atomic uint64_t m_udp_pauses;
static _Atomic uint64_t m_udp_pause_us;
static _Atomic uint64_t m_gauges[MG__COUNT];

#define METRICS_MAX_EXTRA 8
static struct {
	metrics_render_h *fn;
	void *arg;
} extras[METRICS_MAX_EXTRA];

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define GET(x) atomic_load_explicit(&(x), memory_order_relaxed)

void
metrics_request(enum sip_method m)
{
	if ((unsigned)m < SIP_METHOD__COUNT)
		INC(m_requests[m]);
}

void
metrics_response_in(unsigned status)
{
	if (status < 700)
		INC(m_rsp_in[status]);
}

void
metrics_response_out(unsigned status)
{
	if (status < 700)
		INC(m_rsp_out[status]);
}

void
metrics_drop(enum reason r)
{
	if ((unsigned)r < REASON__COUNT)
		INC(m_drops[r]);
}

void
metrics_reject(enum reason r)
{
	if ((unsigned)r < REASON__COUNT)
		INC(m_rejects[r]);
}

void
metrics_parse_error(void)
{
	INC(m_parse_errors);
}

void
metrics_udp_pause(unsigned us)
{
	INC(m_udp_pauses);
	atomic_fetch_add_explicit(&m_udp_pause_us, us, memory_order_relaxed);
}

uint64_t
metrics_get_drop(enum reason r)
{
	return (unsigned)r < REASON__COUNT ? GET(m_drops[r]) : 0;
}

uint64_t
metrics_get_reject(enum reason r)
{
	return (unsigned)r < REASON__COUNT ? GET(m_rejects[r]) : 0;
}

uint64_t
metrics_get_parse_errors(void)
{
	return GET(m_parse_errors);
}

void
metrics_extra_add(metrics_render_h *fn, void *arg)
{
	unsigned i;

	for (i = 0; i < METRICS_MAX_EXTRA; i++)
		if (!extras[i].fn) {
			extras[i].arg = arg;
			extras[i].fn = fn;
			return;
		}
}

void
metrics_extra_del(metrics_render_h *fn)
{
	unsigned i;

	for (i = 0; i < METRICS_MAX_EXTRA; i++)
		if (extras[i].fn == fn)
			extras[i].fn = NULL;
}

static void
render_codes(FILE *f, const char *name, const char *help, _Atomic uint64_t *arr)
{
	unsigned c;

	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (c = 100; c < 700; c++) {
		uint64_t v = GET(arr[c]);

		if (v)
			fprintf(f, "%s{code=\"%u\"} %llu\n", name, c,
			    (unsigned long long)v);
	}
}

static void
render_reasons(
    FILE *f, const char *name, const char *help, _Atomic uint64_t *arr)
{
	unsigned r;

	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (r = 1; r < REASON__COUNT; r++)
		fprintf(f, "%s{reason=\"%s\"} %llu\n", name,
		    reason_name((enum reason)r),
		    (unsigned long long)GET(arr[r]));
}

void
metrics_gauge_set(enum metrics_gauge g, uint64_t v)
{
	if ((unsigned)g < MG__COUNT)
		atomic_store_explicit(&m_gauges[g], v, memory_order_relaxed);
}

uint64_t
metrics_gauge_get(enum metrics_gauge g)
{
	return (unsigned)g < MG__COUNT ? GET(m_gauges[g]) : 0;
}

static void
render_gauges(FILE *f)
{
	static const char *const names[MG__COUNT][2] = {
		{ "centinela_accounts", "Accounts loaded from the store." },
		{ "centinela_registered_aors",
		    "Addresses-of-record with at least one binding." },
		{ "centinela_registered_contacts", "Registered contacts." },
		{ "centinela_banset_entries",
		    "Sources and ranges held by the banset (banned, or "
		    "remembered for their strikes)." },
		{ "centinela_banset_bytes", "Memory held by the banset." },
	};
	unsigned g;

	for (g = 0; g < MG__COUNT; g++)
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n",
		    names[g][0], names[g][1], names[g][0], names[g][0],
		    (unsigned long long)GET(m_gauges[g]));
}

static void
render_events(FILE *f)
{
	unsigned t, r;

	fprintf(f,
	    "# HELP centinela_events_total Events (auth, registrar), by "
	    "event and sub-reason.\n# TYPE centinela_events_total counter\n");
	for (t = 0; t < EV__COUNT; t++)
		for (r = 0; r < REASON__COUNT; r++) {
			uint64_t v =
			    event_count((enum event_type)t, (enum reason)r);

			if (v || r == REASON_NONE)
				fprintf(f,
				    "centinela_events_total{event=\"%s\","
				    "reason=\"%s\"} %llu\n",
				    event_name((enum event_type)t),
				    reason_name((enum reason)r),
				    (unsigned long long)v);
		}
}

int
metrics_render(char **out, size_t *len)
{
	FILE *f;
	unsigned m, i;

	f = open_memstream(out, len);
	if (!f)
		return ENOMEM;
	fprintf(f,
	    "# HELP centinela_requests_total SIP requests received, "
	    "by method.\n# TYPE centinela_requests_total counter\n");
	for (m = 1; m < SIP_METHOD__COUNT; m++) {
		struct str n = sip_method_name((enum sip_method)m);

		fprintf(f, "centinela_requests_total{method=\"%.*s\"} %llu\n",
		    STR_FMT(n), (unsigned long long)GET(m_requests[m]));
	}
	fprintf(f, "centinela_requests_total{method=\"other\"} %llu\n",
	    (unsigned long long)GET(m_requests[0]));
	render_codes(f, "centinela_responses_received_total",
	    "SIP responses received, by status code.", m_rsp_in);
	render_codes(f, "centinela_responses_sent_total",
	    "SIP responses sent (generated or relayed), by status code.",
	    m_rsp_out);
	render_reasons(f, "centinela_drops_total",
	    "Messages dropped without an answer, by reason.", m_drops);
	render_reasons(f, "centinela_rejects_total",
	    "Requests rejected with a response, by reason.", m_rejects);
	fprintf(f,
	    "# HELP centinela_parse_errors_total Messages that "
	    "failed to parse.\n# TYPE centinela_parse_errors_total counter\n"
	    "centinela_parse_errors_total %llu\n",
	    (unsigned long long)GET(m_parse_errors));
	fprintf(f,
	    "# HELP centinela_udp_pauses_total Pauses asked of the SIP "
	    "loop to gather datagrams (udp.coalesce; the loop takes the "
	    "longest of a turn, shortened for a due timer).\n"
	    "# TYPE centinela_udp_pauses_total counter\n"
	    "centinela_udp_pauses_total %llu\n"
	    "# HELP centinela_udp_pause_seconds_total Time asked for by "
	    "those pauses.\n"
	    "# TYPE centinela_udp_pause_seconds_total counter\n"
	    "centinela_udp_pause_seconds_total %.6f\n",
	    (unsigned long long)GET(m_udp_pauses),
	    (double)GET(m_udp_pause_us) / 1e6);
	render_events(f);
	render_gauges(f);
	for (i = 0; i < METRICS_MAX_EXTRA; i++)
		if (extras[i].fn)
			extras[i].fn(f, extras[i].arg);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return ENOMEM;
	}
	return 0;
}
