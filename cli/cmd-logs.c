// SPDX-License-Identifier: MIT
/* nsnet logs [-l LAB] [-f] NODE: the output of the node's commands (exec:). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/state.h"
#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: nsnet logs [-l LAB] [-f] NODE\n"
		   "Print what NODE's commands (exec: in the lab file) wrote to stdout and stderr.\n"
		   "-f: keep printing what they write, until interrupted or the lab goes down.\n");
}

int cmd_logs(int argc, char **argv)
{
	struct nsnet_lab *lab = NULL;
	const char *labarg = NULL, *node = NULL;
	char path[PATH_MAX], file[300], buf[65536];
	int i, follow = 0, ret, fd;
	size_t k;
	ssize_t r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if ((!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab")) && i + 1 < argc) {
			labarg = argv[++i];
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
			follow = 1;
		} else if (argv[i][0] != '-' && !node) {
			node = argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!node) {
		usage(stderr);
		return EXIT_USAGE;
	}
	ret = open_saved_lab(labarg, &lab);
	if (ret)
		return ret;
	for (k = 0; k < lab->nnodes && strcmp(lab->nodes[k].name, node); k++)
		;
	if (k == lab->nnodes) {
		msg("logs: lab \"%s\" has no node \"%s\"", lab->name, node);
		nsnet_lab_free(lab);
		return EXIT_USAGE;
	}
	snprintf(file, sizeof(file), "%s.log", node);
	nsnet_state_path(lab->name, file, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		ret = 0;	/* no command has written anything (or none was started) */
		if (!follow) {
			nsnet_lab_free(lab);
			return 0;
		}
	} else if (fd < 0) {
		msg("logs: %s: %s", path, strerror(errno));
		nsnet_lab_free(lab);
		return EXIT_FAIL;
	}
	for (;;) {
		while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
			if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r)
				break;
		fflush(stdout);
		if (!follow || !nsnet_state_exists(lab->name))
			break;
		usleep(200000);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd >= 0)
		close(fd);
	nsnet_lab_free(lab);
	return 0;
}
