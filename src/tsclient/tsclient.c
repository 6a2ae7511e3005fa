/* tsclient: ask one or more time servers, estimate this clock's offset, print
 * it, and optionally correct the clock through the clock plugin. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/estimator.h"
#include "query/gather.h"
#include "query/measure.h"
#include "common/nts_ke.h"
#include "query/nts_client.h"
#include "query/outcome.h"
#include "tsclient/correct.h"
#include "tsclient/report.h"

/* EXIT_DEGRADED only with --strict: a result, but some server not used. */
enum { EXIT_SYNCED = 0, EXIT_NO_SERVER = 1, EXIT_USAGE = 2, EXIT_DEGRADED = 3 };

struct options {
	const char *config_path;   /* NULL: the default file, if it exists */
	int samples;               /* 0: client.samples */
	const char *estimator;     /* NULL: estimator.plugin */
	int verbose;
	int json;
	int force;                 /* --force: correct beyond client.max_step */
	int strict;                /* --strict: EXIT_DEGRADED when a server is not used */
	enum measure_proto proto;
	enum correction_mode correct;
	char **servers;            /* from the command line, else client.servers */
	size_t n_servers;
	char *nts_server;          /* --nts HOST[:PORT]: the NTS-KE server */
	int tcp;                   /* --tcp: tsd's TCP protocol (with --nts: NTS over it) */
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: tsclient [OPTION]... [HOST[:PORT]]...\n"
	        "Ask time servers for the offset of this machine's clock.\n\n"
	        "  -c, --config FILE      configuration file (default %s)\n"
	        "  -n, --samples N        exchanges per server (default client.samples)\n"
	        "  -e, --estimator NAME   offset estimator plugin: ntp, minfilter, median,\n"
	        "                         regression, bounds (default estimator.plugin)\n"
	        "  -v, --verbose          per-sample table, estimates, error bounds\n"
	        "      --json             print one JSON object\n"
	        "      --text             speak the text protocol (T2<TAB>T3 in ms)\n"
	        "      --udp              speak NTP over UDP (default port server.udp.port)\n"
	        "      --nts HOST[:PORT]  NTS: key exchange with HOST (default port 4460), then\n"
	        "                         authenticated NTP only (certificate checked against\n"
	        "                         client.nts.ca_file or the system's trust store)\n"
	        "      --tcp              tsd's TCP protocol (the default; with --nts,\n"
	        "                         authenticated NTP over it instead of UDP)\n"
	        "      --step             step the clock by the offset (clock plugin)\n"
	        "      --slew             slew the clock by the offset (clock plugin)\n"
	        "      --force            step or slew even beyond client.max_step\n"
	        "      --strict           exit 3 when a result was printed but some server\n"
	        "                         was not used (unreachable, refused, falseticker)\n"
	        "  -h, --help             this help\n"
	        "  -V, --version          the version\n\n"
	        "Without HOST, the servers come from client.servers. Each server not used\n"
	        "is named on standard error with the reason. Exit status: 0 synchronised,\n"
	        "1 no usable server, 2 usage or configuration error, 3 (--strict only)\n"
	        "synchronised but some server not used.\n",
	        conf_default_path());
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tsclient: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tsclient --help'.\n");
	return -1;
}

static int parse_samples(const char *text, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || n < 1 || n > MEASURE_MAX_SAMPLES)
		return -1;
	*out = (int)n;
	return 0;
}

static int set_once(int *field, int value, const char *what)
{
	if (*field != 0 && *field != value)
		return usage_error("%s", what);
	*field = value;
	return 0;
}

enum { OPT_JSON = 256, OPT_TEXT, OPT_UDP, OPT_TCP, OPT_NTS, OPT_STEP, OPT_SLEW, OPT_FORCE,
       OPT_STRICT };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "samples", required_argument, NULL, 'n' },
	{ "estimator", required_argument, NULL, 'e' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "nts", required_argument, NULL, OPT_NTS },
	{ "step", no_argument, NULL, OPT_STEP },
	{ "slew", no_argument, NULL, OPT_SLEW },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* What the options chose among exclusive ones, while they are read. */
struct chosen {
	int proto, correct;
};

/* The options that choose a protocol or a correction. */
static int take_choice(int c, struct options *opt, struct chosen *ch)
{
	switch (c) {
	case OPT_TEXT:
		return set_once(&ch->proto, PROTO_TEXT, "--text and --udp exclude each other");
	case OPT_UDP:
		return set_once(&ch->proto, PROTO_UDP, "--text and --udp exclude each other");
	case OPT_NTS:
		opt->nts_server = optarg;
		return set_once(&ch->proto, PROTO_NTS, "--nts excludes --text and --udp");
	case OPT_STEP:
		return set_once(&ch->correct, CORRECT_STEP, "--step and --slew exclude each other");
	default:
		return set_once(&ch->correct, CORRECT_SLEW, "--step and --slew exclude each other");
	}
}

/* One option: 0 go on, 1 help or version printed, -1 usage error. */
static int take_option(int c, char **argv, struct options *opt, struct chosen *ch)
{
	switch (c) {
	case 'c': opt->config_path = optarg; return 0;
	case 'e': opt->estimator = optarg; return 0;
	case 'v': opt->verbose = 1; return 0;
	case OPT_JSON: opt->json = 1; return 0;
	case OPT_FORCE: opt->force = 1; return 0;
	case OPT_STRICT: opt->strict = 1; return 0;
	case OPT_TCP: opt->tcp = 1; return 0;
	case 'n':
		if (parse_samples(optarg, &opt->samples) < 0)
			return usage_error("-n needs a number of samples from 1 to 1024, not '%s'", optarg);
		return 0;
	case OPT_TEXT: case OPT_UDP: case OPT_NTS: case OPT_STEP: case OPT_SLEW:
		return take_choice(c, opt, ch);
	case 'h': usage(stdout); return 1;
	case 'V': printf("tsclient %s\n", PACKAGE_VERSION); return 1;
	case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
	default: return usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

/* The checks across options, and the servers named after them. */
static int finish_options(int argc, char **argv, struct options *opt, const struct chosen *ch)
{
	if (opt->force && ch->correct == 0)
		return usage_error("%s", "--force goes with --step or --slew");
	if (opt->tcp && (ch->proto == PROTO_TEXT || ch->proto == PROTO_UDP))
		return usage_error("%s", "--tcp excludes --text and --udp");
	opt->proto = (enum measure_proto)ch->proto;
	opt->correct = (enum correction_mode)ch->correct;
	opt->servers = argv + optind;
	opt->n_servers = (size_t)(argc - optind);
	/* --nts names its one server: the NTP server comes from the exchange. */
	if (opt->nts_server != NULL) {
		if (opt->n_servers > 0)
			return usage_error("--nts names the server; '%s' is one too many", opt->servers[0]);
		opt->servers = &opt->nts_server;
		opt->n_servers = 1;
	}
	return 0;
}

/* 0: go on; 1: help or version printed; -1: usage error (printed). */
static int parse_options(int argc, char **argv, struct options *opt)
{
	struct chosen ch = { 0, 0 };
	int c, rc;

	memset(opt, 0, sizeof(*opt));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:n:e:vhV", longopts, NULL)) != -1)
		if ((rc = take_option(c, argv, opt, &ch)) != 0)
			return rc;
	return finish_options(argc, argv, opt, &ch);
}

static void print_errors(const struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(stderr, "%s\n", errs->messages[i]);
}

/* The servers to ask, with the default port for the protocol. */
static struct server_spec *parse_servers(const struct options *opt, const struct conf *cfg,
                                       size_t *n)
{
	char *const *names = opt->n_servers > 0 ? opt->servers : cfg->client.servers;
	int port = opt->proto == PROTO_UDP ? cfg->server.udp.port
	         : opt->proto == PROTO_NTS ? NTS_KE_PORT : cfg->port;
	struct server_spec *list;

	*n = opt->n_servers > 0 ? opt->n_servers : cfg->client.n_servers;
	if (*n == 0) {
		fprintf(stderr, "tsclient: no server given and client.servers is empty\n");
		return NULL;
	}
	list = calloc(*n, sizeof(*list));
	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < *n; i++) {
		if (measure_parse_spec(names[i], port, &list[i]) < 0) {
			fprintf(stderr, "tsclient: '%s' is not HOST, HOST:PORT or [ADDRESS]:PORT\n",
			        names[i]);
			free(list);
			return NULL;
		}
		list[i].basic = !cfg->client.interleaved;
	}
	return list;
}

/* The result on stdout, each server not used on stderr (in every format, so
 * that a monitor learns of a dead server even when the others answer);
 * how many were not used. */
static size_t print_outcome(const struct options *opt, const struct outcome *o)
{
	if (opt->json)
		report_json(stdout, o);
	else if (opt->verbose)
		report_verbose(stdout, o);
	else if (o->synced)
		report_lines(stdout, o);
	fflush(stdout);
	return report_failures(stderr, o);
}

/* Measure, estimate, select, correct, print: the exit status. */
static int run(const struct options *opt, const struct conf *cfg,
               const struct server_spec *list, size_t n,
               struct clock_source *cs, struct estimator *est)
{
	struct outcome o = { .estimator = est->plugin.desc->name };
	struct server_result *results = NULL;
	struct measurement *m = NULL;
	int status = EXIT_NO_SERVER;

	m = calloc(n, sizeof(*m));
	results = calloc(n, sizeof(*results));
	if (m == NULL || results == NULL) {
		fprintf(stderr, "tsclient: out of memory\n");
		goto out;
	}
	if (opt->proto == PROTO_NTS) {
		struct nts_options nts = { .ca_file = cfg->client.nts_ca_file, .tcp = opt->tcp };

		measure_server_nts(&list[0], &nts, NULL,
		                   opt->samples ? opt->samples : cfg->client.samples,
		                   cfg->client.timeout, cs, &m[0]);
	} else {
		gather_measurements(list, n, opt->proto,
		                    opt->samples ? opt->samples : cfg->client.samples,
		                    cfg->client.timeout, cs, m);
	}
	if (outcome_build(&o, results, m, n, est) == 0)
		status = EXIT_SYNCED;
	o.corr.mode = opt->correct;
	if (o.synced && opt->correct != CORRECT_NONE &&
	    correct_clock(&o, cs, cfg->clock.name, cfg->client.max_step, opt->force) < 0)
		status = EXIT_NO_SERVER;
	if (print_outcome(opt, &o) > 0 && opt->strict && status == EXIT_SYNCED)
		status = EXIT_DEGRADED;
out:
	free(results);
	free(m);
	return status;
}

int main(int argc, char **argv)
{
	struct conf cfg = { 0 };
	struct conf_errors errs = { 0 };
	struct clock_source cs = { 0 };
	struct estimator est = { 0 };
	struct server_spec *list = NULL;
	struct options opt;
	size_t n;
	int rc = parse_options(argc, argv, &opt), status = EXIT_USAGE;

	if (rc != 0)
		return rc > 0 ? EXIT_SYNCED : EXIT_USAGE;
	if (conf_load(&cfg, opt.config_path, &errs) < 0)
		goto out;
	list = parse_servers(&opt, &cfg, &n);
	if (list == NULL || clock_source_open(&cs, &cfg, &errs) < 0)
		goto out;
	if (estimator_open(&est, &cfg, opt.estimator, &errs) < 0)
		goto out_clock;
	status = run(&opt, &cfg, list, n, &cs, &est);
	estimator_close(&est);
out_clock:
	clock_source_close(&cs);
out:
	free(list);
	conf_free(&cfg);
	print_errors(&errs);
	conf_errors_free(&errs);
	return status;
}
