// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: lab files through the parser and the checker; of a
 * valid lab, every cable resolves and every impairment passes its check.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz-lab.c \
 *     lib/lab.c lib/lab-yaml.c lib/check.c lib/topo.c lib/addr.c lib/route.c lib/err.c \
 *     lib/impair.c lib/cable.c \
 *     lib/netns.c lib/nl.c lib/sysctl.c -lyaml -lmnl -lpthread -o fuzz-lab
 *   ./fuzz-lab tests/fuzz/corpus/lab
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nsnet/cable.h"
#include "nsnet/lab.h"
#include "nsnet/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err err = { 0 };

	if (nsnet_lab_parse((const char *)data, size, "fuzz.yaml", &lab, &err) == 0 &&
	    nsnet_lab_check(lab, &err) == 0) {
		/* every host's part of a multi-host lab: wires, VXLAN segments, plan text */
		size_t h = 0, i, j;
		char key[NSNET_CABLE_KEY_MAX];
		struct nsnet_cable c;

		do {
			struct nsnet_plan *p = NULL;
			char line[2048];

			if (lab->nhosts)
				lab->local = (int)h;
			if (nsnet_plan_make(NULL, lab, NULL, &p, &err) == 0)
				for (i = 0; i < p->n; i++)
					nsnet_plan_fmt(p, i, line, sizeof(line));
			nsnet_plan_free(p);
		} while (++h < lab->nhosts);
		/* every cable resolves; every impairment passes its check */
		for (i = 0; i < lab->nnodes; i++) {
			for (j = 0; j < lab->nodes[i].nifaces; j++) {
				nsnet_cable_of(lab, i, j, &c, NULL);
				nsnet_cable_key(lab, &c, key, sizeof(key));
				if ((!c.ifname[1] && !lab->nhosts) ||
				    (c.impair && nsnet_impair_check(c.impair, NULL))) {
					fprintf(stderr, "fuzz-lab: cable %s: no peer or bad impairment\n",
						key);
					abort();
				}
			}
		}
	}
	nsnet_lab_free(lab);
	return 0;
}
