// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: lab files through the parser and the checker.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz-lab.c \
 *     lib/lab.c lib/lab-yaml.c lib/check.c lib/topo.c lib/addr.c lib/route.c lib/err.c \
 *     lib/netns.c lib/nl.c lib/sysctl.c -lyaml -lmnl -lpthread -o fuzz-lab
 *   ./fuzz-lab tests/fuzz/corpus/lab
 */
#include <stddef.h>
#include <stdint.h>

#include "nsnet/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsnet_lab *lab = NULL;
	struct nsnet_err err = { 0 };

	if (nsnet_lab_parse((const char *)data, size, "fuzz.yaml", &lab, &err) == 0)
		nsnet_lab_check(lab, &err);
	nsnet_lab_free(lab);
	return 0;
}
