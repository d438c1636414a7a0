// SPDX-License-Identifier: MIT
/* nsnet exec [-l LAB] NODE [--] CMD…: like ip netns exec, by node name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsnet/lab.h"
#include "nsnet/netns.h"
#include "cli.h"

int cmd_exec(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = NULL;
	const char *labarg = NULL, *node;
	size_t n;
	int i = 1, ret;

	if (i < argc && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
		printf("Usage: nsnet exec [-l LAB] NODE [--] CMD [ARG…]\n"
		       "Run CMD inside NODE (as ip netns exec, plus the node's private /run and its\n"
		       "files: from the lab file); exit status is CMD's.\n");
		return 0;
	}
	if (i + 1 < argc && (!strcmp(argv[i], "-l") || !strcmp(argv[i], "--lab"))) {
		labarg = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		msg("usage: nsnet exec [-l LAB] NODE [--] CMD [ARG…]");
		return EXIT_USAGE;
	}
	node = argv[i++];
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		msg("usage: nsnet exec [-l LAB] NODE [--] CMD [ARG…]");
		return EXIT_USAGE;
	}
	ret = open_saved_lab(labarg, &lab);
	if (ret)
		return ret;
	for (n = 0; n < lab->nnodes; n++)
		if (!strcmp(lab->nodes[n].name, node))
			break;
	if (n == lab->nnodes) {
		msg("exec: lab \"%s\" has no node \"%s\"", lab->name, node);
		nsnet_lab_free(lab);
		return EXIT_USAGE;
	}
	ret = nsnet_node_enter(lab->name, &lab->nodes[n], &err);
	nsnet_lab_free(lab);
	if (ret < 0)
		return report("exec", &err);
	fflush(stdout);
	execvp(argv[i], argv + i);
	msg("exec of \"%s\" failed: %s", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
