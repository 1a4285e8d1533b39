// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* heaptrace: argument parsing and the lifecycle of one run. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "util/duration.h"
#include "target/launch.h"
#include "util/log.h"
#include "util/version.h"
#include "export/listen.h"
#include "export/render_metrics.h"
#include "report/plan_print.h"
#include "host/host.h"
#include "priv/caps.h"
#include "serve/stage.h"
#include "export/exporter.h"
#include "session.h"
#include "util/fd_closer.h"
#include "util/outfile.h"
#include "util/proc_title.h"
#include "oom/oom_capture.h"
#include "oom/postmortem_dir.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum { OPT_JSON = 0x100, OPT_LIST, OPT_RINGBUF, OPT_HOT, OPT_MAX_OVERHEAD, OPT_LISTEN, OPT_TEXTFILE,
       OPT_PPROF, OPT_TOP_MAPS, OPT_ALL, OPT_EXE, OPT_EXCLUDE_EXE, OPT_CGROUP, OPT_MAX_PROCS, OPT_NO_PROBES,
       OPT_USER, OPT_WEB_CONFIG, OPT_REDACT, OPT_POSTMORTEM_DIR };

/* Hot probes fire per map operation: a trace with them is always bounded. */
#define HOT_MAX_NS (60ull * 1000000000ull)
#define HOT_DEFAULT_NS (10ull * 1000000000ull)
/* The event ring buffer, unless --ringbuf-kb says. --hot makes a record of
 * nearly every hit (48,000 a second on etcd 3.6 under load): 256 KiB lasts
 * 0.2 s of a stall of the consumer (the heap walk at the start), and 8,600
 * records were lost in 15 s; 1 MiB lost none. */
#define RINGBUF_BYTES (256u * 1024u)
#define HOT_RINGBUF_BYTES (2048u * 1024u)

static struct env {
	pid_t pid;
	uint64_t duration_ns;
	uint64_t interval_ns;
	bool quiet;
	bool list_probes;
	const char *json_path;
	uint32_t ringbuf_bytes; /* 0 until given or defaulted at the end of parsing */
	bool hot;
	double max_overhead_pct; /* 0: no budget */
	const char *listen, *textfile, *pprof_path; /* exports */
	const char *web_config; /* --web-config: TLS, basic auth, headers of --listen */
	unsigned top_maps;
	bool redact;	    /* --redact */
	const char *file;   /* --list-probes FILE */
	bool all;	    /* --all: host mode */
	const char *exe_glob, *exclude_glob, *cgroup_prefix;
	unsigned max_procs;
	bool no_probes;	    /* --no-probes: no BPF at all */
	const char *postmortem_dir; /* --postmortem-dir: OOM kills' records */
	char **command;	    /* after "--" */
	const char *user;   /* --user: who runs the command */
} env = {
	.interval_ns = 1000000000ull,
	.max_procs = 256,
	.top_maps = RENDER_TOP_MAPS_DEFAULT,
};

const char *argp_program_version = "heaptrace " HEAPTRACE_VERSION;
const char *argp_program_bug_address = "the heaptrace issue tracker";
static const char doc[] =
	"heaptrace: show where a running Go program's memory goes and why it is not given back.\n"
	"\n"
	"USAGE: heaptrace [OPTIONS] -p PID\n"
	"       heaptrace [OPTIONS] -- PROG [ARGS...]\n"
	"       heaptrace --list-probes [--json -] (FILE | -p PID)\n"
	"       heaptrace --all [--exe GLOB] [--cgroup PREFIX] [--json FILE]\n"
	"\v"
	"Examples:\n"
	"  sudo heaptrace -p 4242                 # attach; Ctrl-C prints the report\n"
	"  sudo heaptrace -p 4242 -d 30s --json out.json -q\n"
	"  sudo heaptrace -- ./server --flag      # trace from the first instruction\n"
	"  sudo heaptrace --user \"$SUDO_USER\" -- ./server  # run it as you\n"
	"  heaptrace --list-probes /usr/bin/hugo  # where probes would go, no attaching\n"
	"  sudo heaptrace -p 4242 -q --listen 127.0.0.1:9464   # serve /metrics\n"
	"  sudo heaptrace --all -q --listen :9464 --web-config web.yml  # TLS, auth\n"
	"  go tool pprof http://127.0.0.1:9464/debug/pprof/maps  # by retained bytes\n"
	"  sudo heaptrace -p 4242 -q --textfile /var/lib/node_exporter/heaptrace.prom\n"
	"  sudo heaptrace -p 4242 --no-probes   # no probe, no BPF: the runtime's state\n"
	"  sudo heaptrace --all -q --postmortem-dir /var/lib/heaptrace/oom  # why the OOM killer struck\n"
	"\n"
	"Exit status: 0 success, 1 failure at run time, 2 bad usage; with -- PROG,\n"
	"the program's own status.\n"
	"\n"
	"Privileges: tracing needs CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (root has\n"
	"them); heaptrace drops every other capability once attached, and serves\n"
	"--listen from processes of its own with none.\n";

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Attach to the running Go process PID", 0 },
	{ "user", OPT_USER, "USER", 0, "Run the program given after -- as USER (a name or #UID), as sudo -u would; without it the program runs as heaptrace's user (root under sudo), with none of heaptrace's capabilities", 0 },
	{ "duration", 'd', "DUR", 0, "Stop after DUR (e.g. 500ms, 30s, 2m)", 0 },
	{ "interval", 'i', "DUR", 0, "Live view refresh interval (default 1s)", 0 },
	{ "quiet", 'q', NULL, 0, "No live view, only the final report", 0 },
	{ "json", OPT_JSON, "FILE", 0, "Write the final report (or the probe plan) as JSON to FILE, - for stdout", 0 },
	{ "list-probes", OPT_LIST, NULL, 0, "Print the probe plan for FILE or -p PID without attaching", 0 },
	{ "ringbuf-kb", OPT_RINGBUF, "KB", 0, "Event ring buffer size, a power of two from 4 (default 256, 2048 with --hot); records that do not fit are counted as lost", 0 },
	{ "max-overhead", OPT_MAX_OVERHEAD, "PCT", 0, "Budget for the probes' estimated cost to the target, in percent of one CPU: over it, the costliest probes (hot, then warm) are detached", 0 },
	{ "all", OPT_ALL, NULL, 0, "Host mode: every Go process on the host, those running and those started later", 1 },
	{ "exe", OPT_EXE, "GLOB", 0, "With --all: only executables whose path matches GLOB", 1 },
	{ "exclude-exe", OPT_EXCLUDE_EXE, "GLOB", 0, "With --all: not executables whose path matches GLOB", 1 },
	{ "cgroup", OPT_CGROUP, "PREFIX", 0, "With --all: only processes whose cgroup path starts with PREFIX", 1 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0, "With --all: trace at most N processes at once (default 256); more are counted and refused", 1 },
	{ "hot", OPT_HOT, NULL, 0, "Also probe per-operation functions (every map assignment): costly, so the trace stops after -d (10s by default, 60s at most)", 0 },
	{ "no-probes", OPT_NO_PROBES, NULL, 0, "Attach nothing and load no BPF: read the runtime's own state each interval (collections and their pauses from its history, settings, memory classes, released pages) and walk the heap; for hosts where no probe may be placed", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf and probe details", 0 },
	{ NULL, 0, NULL, 0, "Exports:", 1 },
	{ "listen", OPT_LISTEN, "HOST:PORT", 0, "Serve http://HOST:PORT/metrics (Prometheus text, OpenMetrics on request) and /debug/pprof/maps (map retention profile) while tracing, e.g. 127.0.0.1:9464; a port in use is refused", 1 },
	{ "web-config", OPT_WEB_CONFIG, "FILE", 0, "TLS, basic authentication and response headers for --listen, in Prometheus exporter-toolkit's web config format (tls_server_config, basic_auth_users with bcrypt hashes, http_server_config.headers); read again on SIGHUP", 1 },
	{ "textfile", OPT_TEXTFILE, "FILE", 0, "Rewrite FILE atomically with the metrics each interval (node_exporter's textfile collector reads DIR/*.prom)", 1 },
	{ "pprof", OPT_PPROF, "FILE", 0, "Write the map retention profile (gzipped profile.proto) to FILE at the end", 1 },
	{ "redact", OPT_REDACT, NULL, 0, "Leave the programs' addresses and variable names out of the exports: map addresses become opaque tokens, sites keep their kind (global) or function, profiles lose source paths and load addresses (the live view and --json keep all)", 1 },
	{ "top-maps", OPT_TOP_MAPS, "N", 0, "Per-map metric series for the N maps retaining most (default 20, 0 for none)", 1 },
	{ "postmortem-dir", OPT_POSTMORTEM_DIR, "DIR", 0, "With -p or --all: when the OOM killer kills a traced process, write its report at the kill (with oom and a verdict) to DIR/heaptrace-oom-PID-TIME.json and its map profile beside it (.pb.gz); the newest 100 records and 64 MiB are kept", 1 },
	{ 0 },
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;
	long v;

	switch (key) {
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > INT_MAX)
			argp_error(state, "invalid PID '%s': expected a positive number", arg);
		env.pid = (pid_t)v;
		break;
	case 'd':
		if (parse_duration(arg, &env.duration_ns))
			argp_error(state, "invalid duration '%s': expected e.g. 500ms, 30s, 2m", arg);
		break;
	case 'i':
		if (parse_duration(arg, &env.interval_ns) || env.interval_ns < 10000000ull)
			argp_error(state, "invalid interval '%s': expected 10ms or more, e.g. 1s", arg);
		break;
	case 'q':
		env.quiet = true;
		break;
	case 'v':
		ht_verbose = true;
		break;
	case OPT_JSON:
		env.json_path = arg;
		break;
	case OPT_LIST:
		env.list_probes = true;
		break;
	case OPT_HOT:
		env.hot = true;
		break;
	case OPT_MAX_OVERHEAD: {
		double pct;

		errno = 0;
		pct = strtod(arg, &end);
		if (*end == '%')
			end++;
		if (errno || end == arg || *end || !(pct > 0 && pct <= 100))
			argp_error(state, "invalid --max-overhead '%s': expected a percentage of one CPU, above 0 and up to 100", arg);
		env.max_overhead_pct = pct;
		break;
	}
	case OPT_ALL:
		env.all = true;
		break;
	case OPT_NO_PROBES:
		env.no_probes = true;
		break;
	case OPT_USER:
		env.user = arg;
		break;
	case OPT_EXE:
		env.exe_glob = arg;
		break;
	case OPT_EXCLUDE_EXE:
		env.exclude_glob = arg;
		break;
	case OPT_CGROUP:
		env.cgroup_prefix = arg;
		break;
	case OPT_MAX_PROCS:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v < 1 || v > 4096)
			argp_error(state, "invalid --max-procs '%s': expected a number from 1 to 4096", arg);
		env.max_procs = (unsigned)v;
		break;
	case OPT_RINGBUF:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v < 4 || v > 1024 * 1024 || (v & (v - 1)))
			argp_error(state, "invalid --ringbuf-kb '%s': expected a power of two from 4 to 1048576", arg);
		env.ringbuf_bytes = (uint32_t)v * 1024;
		break;
	case OPT_LISTEN: {
		char host[256], port[8];

		if (listen_parse(arg, host, sizeof(host), port, sizeof(port)))
			argp_error(state, "%s", ht_last_error());
		env.listen = arg;
		break;
	}
	case OPT_REDACT:
		env.redact = true;
		break;
	case OPT_WEB_CONFIG:
		if (!*arg)
			argp_error(state, "--web-config needs a file name");
		env.web_config = arg;
		break;
	case OPT_TEXTFILE:
	case OPT_PPROF:
		if (!*arg)
			argp_error(state, "--%s needs a file name", key == OPT_PPROF ? "pprof" : "textfile");
		*(key == OPT_PPROF ? &env.pprof_path : &env.textfile) = arg;
		break;
	case OPT_POSTMORTEM_DIR:
		if (!*arg)
			argp_error(state, "--postmortem-dir needs a directory");
		env.postmortem_dir = arg;
		break;
	case OPT_TOP_MAPS:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 0 || v > RENDER_TOP_MAPS_MAX)
			argp_error(state, "invalid --top-maps '%s': expected a number from 0 to %d", arg, RENDER_TOP_MAPS_MAX);
		env.top_maps = (unsigned)v;
		break;
	case ARGP_KEY_ARG:
		if (!env.list_probes || env.file)
			argp_error(state, "unexpected argument '%s' (to run a program: heaptrace [OPTIONS] -- PROG ARGS...)", arg);
		env.file = arg;
		break;
	case ARGP_KEY_END:
		if (env.list_probes) {
			if (!!env.file + !!env.pid != 1 || env.command)
				argp_error(state, "--list-probes takes one FILE or -p PID");
			if (env.listen || env.textfile || env.pprof_path || env.postmortem_dir)
				argp_error(state, "--listen, --textfile, --pprof and --postmortem-dir export a trace, not --list-probes");
		} else if (env.redact && !env.listen && !env.textfile && !env.pprof_path) {
			argp_error(state, "--redact applies to --listen, --textfile and --pprof");
		} else if (env.web_config && !env.listen) {
			argp_error(state, "--web-config configures the server of --listen HOST:PORT");
		} else if (!!env.pid + !!env.command + env.all != 1) {
			argp_error(state, "give one of -p PID, -- PROG ARGS..., or --all");
		} else if (!env.all && (env.exe_glob || env.exclude_glob || env.cgroup_prefix)) {
			argp_error(state, "--exe, --exclude-exe and --cgroup choose processes for --all");
		} else if (env.command && env.postmortem_dir) {
			argp_error(state, "--postmortem-dir follows -p PID or --all (a program run with -- is heaptrace's child: its exit status says how it ended)");
		} else if (env.user && !env.command) {
			argp_error(state, "--user says who runs the program given after --");
		} else if (env.all && env.hot) {
			argp_error(state, "--hot probes every map assignment: one process at a time (-p PID), not --all");
		} else if (env.no_probes && (env.hot || env.max_overhead_pct)) {
			argp_error(state, "--no-probes attaches nothing: --hot and --max-overhead have no probes to act on");
		} else if (env.no_probes && env.postmortem_dir) {
			argp_error(state, "--postmortem-dir sees kills with a BPF program (the OOM watch): not with --no-probes");
		}
		if (env.list_probes && env.no_probes)
			argp_error(state, "--list-probes prints the probe plan; --no-probes is for a trace");
		if (!env.ringbuf_bytes)
			env.ringbuf_bytes = env.hot ? HOT_RINGBUF_BYTES : RINGBUF_BYTES;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	session_stop_signal = sig;
}

/* SIGHUP: unattended runs are told to reopen what they write (--textfile is
 * rewritten by rename anyway) and to read --web-config again: never a
 * reason to stop. */
static void on_hup(int sig)
{
	session_hup = 1;
	exporter_request_reload();
}

/* --json FILE: opened before any work, so that a bad path fails fast, and
 * never through a symlink someone else planted (outfile.h). */
static FILE *open_json_out(const char *path)
{
	FILE *f;
	int fd;

	if (!strcmp(path, "-"))
		return stdout;
	fd = outfile_open(path, "the JSON report");
	if (fd < 0) {
		ht_err("%s", ht_last_error());
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

static int list_probes(FILE *json_out)
{
	struct probe_plan plan;
	struct target t;
	int err;

	err = env.pid ? target_from_pid(&t, env.pid) : target_from_file(&t, env.file);
	if (err) {
		ht_err("%s", ht_last_error());
		target_close(&t);
		return EXIT_RUNTIME;
	}
	if (plan_probes(&t, HT_TIER_HOT, &plan)) {
		ht_err("%s", ht_last_error());
		target_close(&t);
		return EXIT_RUNTIME;
	}
	if (json_out) {
		json_t *j = plan_to_json(&t, &plan);

		json_dumpf(j, json_out, JSON_INDENT(2));
		fputc('\n', json_out);
		json_decref(j);
	} else {
		plan_print_text(stdout, &t, &plan);
	}
	target_close(&t);
	return 0;
}

/* Starts the command stopped, after checking it is a program this host can
 * run: a foreign binary is refused here, never run some other way. */
static int launch_checked(pid_t *pid)
{
	char path[PATH_MAX];
	struct elf_image img;
	struct target host = { 0 };
	struct launch_user as = { 0 };

	if (launch_resolve(env.command[0], path, sizeof(path)))
		goto fail;
	if (elf_image_open(&img, path) == 0) {
		host.elf.machine = img.machine;
		elf_image_close(&img);
		if (!host_runs(host.elf.machine)) {
			ht_fail("%s is a program for %s, which this host cannot run (--list-probes %s plans its probes)",
				path, elf_machine_name(host.elf.machine), path);
			goto fail;
		}
	}
	if (env.user && (priv_check_setuid() || launch_user_resolve(env.user, &as)))
		goto fail;
	if (launch_stopped(path, env.command, env.user ? &as : NULL, pid))
		goto fail;
	launch_user_free(&as);
	return 0;
fail:
	launch_user_free(&as);
	ht_err("%s", ht_last_error());
	return -1;
}

/* The OOM watch: for a traced process (-p, --all), required with
 * --postmortem-dir; a launched program is heaptrace's child, whose exit
 * status says how it ended (and a launch reads no kernel BTF). */
static int oom_watch_mode(const struct session_opts *o)
{
	if (o->launched || o->no_probes)
		return OOM_WATCH_OFF;
	return o->postmortem_dir ? OOM_WATCH_REQUIRED : OOM_WATCH_TRY;
}

/* After the first attach (see priv/caps.h). */
static int drop_privileges(void)
{
	char caps[256];

	if (priv_drop_tracer())
		return -1;
	priv_describe(caps, sizeof(caps));
	ht_debug("capabilities kept: %s; no_new_privs set", caps);
	return 0;
}

/* One target, one session. */
static int trace_one(const struct session_opts *o, pid_t pid, struct session *s)
{
	struct tracer_opts to = { .ringbuf_bytes = env.ringbuf_bytes, .max_procs = 1,
				  .max_exes = 1, .oom_watch = oom_watch_mode(o) };
	struct session_group g = { .v = &s, .n = 1 };
	struct target t = { 0 };
	struct exe_entry *e = NULL;
	struct run run = { .opened = false };
	int err;

	err = target_identify(&t, pid) ||
	      (o->no_probes ? run_open_no_bpf(&run, o->max_tier) : run_open(&run, &to, o->max_tier, session_tally_of, &g));
	if (!err && !(e = exe_cache_get(&run.exes, &t)))
		err = ht_fail("out of memory");
	if (!err && !e->usable)
		err = ht_fail("%s", e->why);
	if (!err)
		err = run_ready(&run);
	if (!err) {
		run.cons.on_oom = oom_on_record_sessions;
		target_borrow_program(&t, &e->prog);
		err = session_start(s, o, &t, &run, e);
	}
	/* Loaded and attached: from here on only what tracing needs. */
	if (!err)
		err = drop_privileges();
	if (!err) {
		sessions_run(&run.cons, &g);
		consumer_drain(&run.cons);
		err = session_finish(s);
	}
	session_close(s);
	run_close(&run);
	target_close(&t);
	return err ? -1 : 0;
}

/* The rescan that catches what the exec notifications missed, the heap
 * walk's delay after attaching to a new process and its budget per tick. */
#define HOST_RESCAN_NS (30ull * 1000000000ull)
/* --no-probes has no exec notification (a BPF program): the scan finds
 * new processes, so it runs more often */
#define HOST_NO_PROBES_RESCAN_NS (2ull * 1000000000ull)
#define HOST_WALK_DELAY_NS (2ull * 1000000000ull)
#define HOST_WALK_BUDGET_NS (1ull * 1000000000ull)

static int trace_host(const struct session_opts *so, FILE *json_out)
{
	struct host_opts ho = { .so = *so, .exe_glob = env.exe_glob, .exclude_glob = env.exclude_glob,
				.cgroup_prefix = env.cgroup_prefix, .max_procs = env.max_procs,
				.rescan_ns = so->no_probes ? HOST_NO_PROBES_RESCAN_NS : HOST_RESCAN_NS, .walk_budget_ns = HOST_WALK_BUDGET_NS, .json_out = json_out };

	ho.so.host = true;
	ho.so.json_out = NULL;
	ho.exports = so->exports; /* one exporter for every process */
	memset(&ho.so.exports, 0, sizeof(ho.so.exports));
	ho.so.walk_delay_ns = HOST_WALK_DELAY_NS;
	if (host_run(&ho)) {
		ht_err("%s", ht_last_error());
		return -1;
	}
	return 0;
}

static int trace(FILE *json_out)
{
	struct session_opts o = {
		.duration_ns = env.duration_ns, .interval_ns = env.interval_ns, .quiet = env.quiet,
		.json_out = json_out, .launched = env.command != NULL,
		.ringbuf_bytes = env.ringbuf_bytes,
		.max_tier = env.hot ? HT_TIER_HOT : HT_TIER_WARM,
		.max_overhead_pct = env.max_overhead_pct,
		.no_probes = env.no_probes,
		.exports = { .listen = env.listen, .web_config = env.web_config, .textfile = env.textfile,
			     .pprof_path = env.pprof_path, .top_maps = env.top_maps, .redact = env.redact },
		.postmortem_dir = env.postmortem_dir,
		/* A launched program owns stdout; heaptrace speaks on stderr then. */
		.out = env.command || json_out == stdout ? stderr : stdout,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct session *s;
	pid_t pid = env.pid;
	int err, status = 0;

	if (env.hot && (!o.duration_ns || o.duration_ns > HOT_MAX_NS))
		o.duration_ns = o.duration_ns ? HOT_MAX_NS : HOT_DEFAULT_NS;
	/* --no-probes loads nothing: reading a process's memory needs only
	 * the right to ptrace it (its owner, or CAP_SYS_PTRACE) */
	if (!env.no_probes && priv_check_trace()) {
		ht_err("%s", ht_last_error());
		return EXIT_RUNTIME;
	}
	/* No SA_RESTART: poll() must return so the loop sees the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &(struct sigaction){ .sa_handler = on_hup }, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* before anything is attached, as for the exports */
	if (env.postmortem_dir && postmortem_dir_check(env.postmortem_dir)) {
		ht_err("%s", ht_last_error());
		return EXIT_RUNTIME;
	}
	if (env.all)
		return trace_host(&o, json_out) ? EXIT_RUNTIME : 0;
	if (env.command && launch_checked(&pid))
		return EXIT_RUNTIME;
	s = calloc(1, sizeof(*s)); /* large: the figures, the maps followed */
	err = s ? trace_one(&o, pid, s) : ht_fail("out of memory");
	free(s);
	if (err) {
		ht_err("%s", ht_last_error());
		if (env.command)
			launch_kill(pid);
		return EXIT_RUNTIME;
	}
	if (env.command) {
		/* SIGTERM was meant for the whole run; Ctrl-C reached the child
		 * from the terminal already. */
		if (session_stop_signal == SIGTERM)
			kill(pid, SIGTERM);
		status = launch_wait(pid);
		return status < 0 ? EXIT_RUNTIME : status;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_arg, NULL, doc, NULL, NULL, NULL };
	FILE *json_out = NULL;
	int i, nopts = argc, rc;

	/* heaptrace --listen's own HTTP server process (serve/stage.h) */
	if (argc >= 2 && !strcmp(argv[1], SERVE_STAGE_ARG)) {
		ht_verbose = argc > 2 && !strcmp(argv[2], "-v");
		return serve_stage_main();
	}
	argp_err_exit_status = EXIT_USAGE;
	proc_title_init(argc, argv);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			nopts = i;
			if (i + 1 < argc)
				env.command = &argv[i + 1];
			break;
		}
	}
	if (nopts < argc && !env.command) {
		ht_err("nothing to run after '--'");
		return EXIT_USAGE;
	}
	if (argp_parse(&argp, nopts, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	libbpf_set_print(ht_libbpf_print);
	if (env.json_path && !(json_out = open_json_out(env.json_path)))
		return EXIT_RUNTIME;
	rc = env.list_probes ? list_probes(json_out) : trace(json_out);
	if (json_out && json_out != stdout)
		fclose(json_out);
	return rc;
}
