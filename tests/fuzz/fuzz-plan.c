// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the planner. The input is two lab files separated by a
 * NUL byte (no NUL: the same file twice); each is parsed and checked, and
 * whatever passes is planned against the other, against nothing and from
 * nothing, with "gone" nodes taken from the input's last byte; every plan's
 * inverse is made; every op is formatted as a line and as JSON. Promises
 * checked (a violation aborts): a lab planned against itself is an empty
 * plan; plans are in stage order; inverse ops are all tolerant; the JSON of
 * every op parses back.
 *   make fuzz-build && build-fuzz/fuzz-plan tests/fuzz/corpus/plan
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/lab.h"
#include "nsnet/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nsnet_lab *lab_of(const uint8_t *data, size_t size)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err err = { 0 };

	if (nsnet_lab_parse((const char *)data, size, "fuzz.yaml", &lab, &err) < 0 ||
	    nsnet_lab_check(lab, &err) < 0) {
		nsnet_lab_free(lab);
		return NULL;
	}
	return lab;
}

static void fmt_all(const struct nsnet_plan *p)
{
	static char line[2048];
	size_t i;

	for (i = 0; i < p->n; i++) {
		json_error_t je;
		json_t *j;

		if (i && p->ops[i].stage < p->ops[i - 1].stage)
			abort();	/* out of stage order */
		nsnet_plan_fmt(p, i, line, sizeof(line));
		nsnet_plan_fmt_json(p, i, line, sizeof(line));
		j = json_loads(line, 0, &je);
		if (!j)
			abort();	/* `nsnet diff -j` would print broken JSON */
		json_decref(j);
	}
}

static void plan_both_ways(const struct nsnet_lab *a, const struct nsnet_lab *b,
			   const uint8_t *gone)
{
	struct nsnet_plan *p = NULL, *q = NULL;
	struct nsnet_err err = { 0 };
	size_t i;

	if (nsnet_plan_make(a, b, gone, &p, &err) < 0)
		return;
	fmt_all(p);
	if (nsnet_plan_inverse(p, &q, &err) == 0) {
		for (i = 0; i < q->n; i++)
			if (!q->ops[i].tolerant || q->ops[i].implicit)
				abort();	/* a rollback op that is not tolerant */
		fmt_all(q);
	}
	nsnet_plan_free(q);
	nsnet_plan_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t la = nul ? (size_t)(nul - data) : size;
	struct nsnet_lab *a = lab_of(data, la);
	struct nsnet_lab *b = nul ? lab_of(nul + 1, size - la - 1) : lab_of(data, size);
	uint8_t *gone = NULL;
	size_t i;

	if (a) {
		struct nsnet_plan *p = NULL;
		struct nsnet_lab *a2 = lab_of(data, la);
		struct nsnet_err err = { 0 };

		/* the same file twice: nothing to do */
		if (a2 && nsnet_plan_make(a, a2, NULL, &p, &err) == 0 && p->n)
			abort();
		nsnet_plan_free(p);
		nsnet_lab_free(a2);
		gone = calloc(a->nnodes + 1, 1);
		for (i = 0; gone && size && i < a->nnodes; i++)
			gone[i] = (data[size - 1] >> (i % 8)) & 1;
	}
	plan_both_ways(a, b, NULL);
	plan_both_ways(b, a, NULL);
	if (a)
		plan_both_ways(a, b, gone);
	free(gone);
	nsnet_lab_free(a);
	nsnet_lab_free(b);
	return 0;
}
