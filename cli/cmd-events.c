// SPDX-License-Identifier: MIT
/* nsnet events [-l LAB] [-j] [--count N] [--timeout SEC]: what changes in a running lab. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "nsnet/events.h"
#include "nsnet/state.h"
#include "cli.h"

struct ev_ctx {
	long count, max;	/* events printed; stop after max (0: never) */
	int failed;		/* stdout went away */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nsnet events [-l LAB | LAB] [-j] [--count N] [--timeout SEC]\n"
		"One line per change in a running lab until SIGINT/SIGTERM or the lab goes down:\n"
		"links up/down/added/removed, addresses, routes, qdiscs (impairments) and nodes,\n"
		"whoever made them (nsnet, ip, tc, a program in a node).\n"
		"  TIME NODE[:IF] WHAT DETAILS   e.g. 15:02:11.123 red:eth0 link down (admin down)\n"
		"  -l LAB          the lab (default: the only one up)\n"
		"  -j, --json      one JSON object per line (schema: nsnet(8))\n"
		"  --count N       exit after N events (the \"ready\" line does not count)\n"
		"  --timeout SEC   exit after SEC seconds (status 1 if --count was not reached)\n"
		"Exit status 0 on SIGINT/SIGTERM, lab down, --count or --timeout reached; 1 on\n"
		"failure; 2 usage.\n");
}

static void on_event(const struct nsnet_event *ev, void *arg)
{
	struct ev_ctx *c = arg;
	char buf[1024];
	int n;

	if (c->failed || (c->max && c->count >= c->max))
		return;
	n = nsnet_event_format(ev, opt_json, buf, sizeof(buf));
	if (n < 0)
		return;
	if (fputs(buf, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) == EOF)
		c->failed = 1;
	if (!(ev->type == NSNET_EV_LAB && ev->action == NSNET_EV_READY))
		c->count++;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_events(int argc, char **argv)
{
	struct nsnet_events_opts opts = { 0 };
	struct nsnet_events *w = NULL;
	struct nsnet_err err = { 0 };
	struct ev_ctx c = { 0 };
	const char *arg = NULL, *env;
	char name[PATH_MAX];
	double timeout = -1;
	long long deadline = 0;
	sigset_t mask;
	int i, ret, sfd = -1, status = 0;

	for (i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			opt_json = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) && i + 1 < argc &&
			   !arg) {
			arg = argv[++i];
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			c.max = strtol(argv[++i], &end, 10);
			if (*end || c.max <= 0) {
				msg("events: --count: a positive number, not \"%s\"", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout = strtod(argv[++i], &end);
			if (*end || !(timeout >= 0) || timeout > 1e9) {
				msg("events: --timeout: seconds, not \"%s\"", argv[i]);
				return EXIT_USAGE;
			}
		} else if (argv[i][0] != '-' && !arg) {
			arg = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	ret = resolve_lab(arg, name, sizeof(name));
	if (ret)
		return ret;
	/* test hook (nsnet(8)): a small socket buffer makes overruns easy to provoke */
	env = getenv("NSNET_EVENTS_RCVBUF");
	if (env && *env)
		opts.rcvbuf = atoi(env);
	/* signals as events, so that a signal never cuts a line in half */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		msg("events: signalfd: %s", strerror(errno));
		status = EXIT_FAIL;
		goto out;
	}
	ret = nsnet_events_open(&w, name, &opts, on_event, &c, &err);
	if (ret < 0) {
		status = report("events", &err);
		goto out;
	}
	if (timeout >= 0)
		deadline = mono_ms() + (long long)(timeout * 1000);
	for (;;) {
		struct pollfd pfd[2] = { { nsnet_events_fd(w), POLLIN, 0 }, { sfd, POLLIN, 0 } };
		int wait = -1;

		ret = nsnet_events_process(w, &err);
		if (ret < 0) {
			status = report("events", &err);
			break;
		}
		if (ret > 0 || c.failed || (c.max && c.count >= c.max))
			break;	/* the lab went down; stdout closed; enough events */
		if (deadline) {
			long long left = deadline - mono_ms();

			if (left <= 0) {
				if (c.max) {
					msg("events: timeout after %ld of %ld events", c.count, c.max);
					status = EXIT_FAIL;
				}
				break;
			}
			wait = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(pfd, 2, wait) < 0 && errno != EINTR) {
			msg("events: poll: %s", strerror(errno));
			status = EXIT_FAIL;
			break;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) < 0)
				si.ssi_signo = 0;
			break;	/* SIGINT / SIGTERM: a clean end */
		}
	}
out:
	nsnet_events_close(w);
	if (sfd >= 0)
		close(sfd);
	/* the mask stays: a second signal while exiting must not change the status */
	return status;
}
