// SPDX-License-Identifier: MIT
/* Work split over one thread per CPU (see split-int.h). */
#include <pthread.h>
#include <unistd.h>

#include "split-int.h"

struct part {
	void (*fn)(void *arg, size_t part, size_t from, size_t to);
	void *arg;
	size_t part, from, to;
};

static void *part_main(void *p)
{
	struct part *s = p;

	s->fn(s->arg, s->part, s->from, s->to);
	return NULL;
}

size_t nsnet__split_run(size_t n, size_t serial_upto,
			int (*same)(const void *arg, size_t a, size_t b),
			void (*fn)(void *arg, size_t part, size_t from, size_t to), void *arg)
{
	struct part s[NSNET__SPLIT_MAX];
	pthread_t th[NSNET__SPLIT_MAX];
	int started[NSNET__SPLIT_MAX] = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = ncpu > NSNET__SPLIT_MAX ? NSNET__SPLIT_MAX : ncpu > 1 ? (size_t)ncpu : 1;
	size_t k, at = 0, np = 0;

	if (n <= serial_upto)
		nt = 1;
	for (k = 0; k < nt && at < n; k++) {
		size_t end = k + 1 == nt ? n : n * (k + 1) / nt;

		if (end <= at)
			continue;
		while (end < n && same(arg, end - 1, end))
			end++;
		s[np] = (struct part){ .fn = fn, .arg = arg, .part = np, .from = at, .to = end };
		at = end;
		np++;
	}
	for (k = 1; k < np; k++)
		started[k] = pthread_create(&th[k], NULL, part_main, &s[k]) == 0;
	if (np)
		part_main(&s[0]);
	for (k = 1; k < np; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			part_main(&s[k]);
	}
	return np;
}
