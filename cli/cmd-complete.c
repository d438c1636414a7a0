// SPDX-License-Identifier: MIT
/*
 * nsnet __complete labs | nodes [LAB] | ifaces [LAB]: words for the bash
 * completion (completion/nsnet.bash), one per line. Silent: nothing on
 * error, exit 0. Without LAB: the only lab that is up (none if several).
 */
#include <stdio.h>
#include <string.h>

#include "nsnet/apply.h"
#include "nsnet/netns.h"
#include "nsnet/state.h"
#include "cli.h"

int cmd_complete(int argc, char **argv)
{
	struct nsnet_err err = { 0 };
	struct nsnet_lab *lab = NULL;
	const char *what = argc > 1 ? argv[1] : "", *name = argc > 2 ? argv[2] : NULL;
	char **labs = NULL;
	size_t i, j;
	int n;

	n = nsnet_state_labs(&labs, &err);
	if (n < 0)
		return 0;
	if (!strcmp(what, "labs")) {
		for (i = 0; i < (size_t)n; i++)
			printf("%s\n", labs[i]);
		goto out;
	}
	if (!name || !*name)
		name = n == 1 ? labs[0] : NULL;
	if (!name || !nsnet_state_exists(name) || nsnet_lab_saved(name, &lab, &err) < 0)
		goto out;
	for (i = 0; i < lab->nnodes; i++) {
		const struct nsnet_lab_node *nd = &lab->nodes[i];

		if (!strcmp(what, "nodes"))
			printf("%s\n", nd->name);
		else if (!strcmp(what, "ifaces"))
			for (j = 0; j < nd->nifaces; j++)
				printf("%s:%s\n", nd->name, nd->ifaces[j].name);
	}
out:
	nsnet_lab_free(lab);
	nsnet_strv_free(labs);
	return 0;
}
