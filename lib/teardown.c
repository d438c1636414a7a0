// SPDX-License-Identifier: MIT
/*
 * Helpers of `down` for large labs: journal lookups in O(log n) instead of a
 * scan of the whole journal per namespace or link, and namespaces unbound by
 * several threads at once. Each unbind (umount) waits for an expedited RCU
 * grace period after the mount lock is released, so unbinds on several
 * threads share grace periods: ~0.6 ms each one after the other, a fraction
 * of that side by side.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsnet/netns.h"
#include "apply-int.h"

struct nsnet__jent {
	const char *key;
	size_t klen;
	int line;
};

static int cmp_ent(const void *pa, const void *pb)
{
	const struct nsnet__jent *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

int nsnet__jindex_init(struct nsnet__jindex *x, char **lines, int n)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->lines = lines;
	x->links = calloc((size_t)n + 1, sizeof(*x->links));
	x->inos = calloc((size_t)n + 1, sizeof(*x->inos));
	if (!x->links || !x->inos) {
		nsnet__jindex_free(x);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *l = lines[i];

		if (!strncmp(l, "link ", 5))
			x->links[x->nlinks++] = (struct nsnet__jent){ l + 5, strlen(l + 5), i };
		else if (!strncmp(l, "nsino ", 6))
			x->inos[x->ninos++] = (struct nsnet__jent){ l + 6, strcspn(l + 6, " "), i };
	}
	qsort(x->links, x->nlinks, sizeof(*x->links), cmp_ent);
	qsort(x->inos, x->ninos, sizeof(*x->inos), cmp_ent);
	return 0;
}

void nsnet__jindex_free(struct nsnet__jindex *x)
{
	free(x->links);
	free(x->inos);
	memset(x, 0, sizeof(*x));
}

/* Index of the last entry with key @k (the highest line), or -1. */
static long find_last(const struct nsnet__jent *v, size_t n, const char *k)
{
	struct nsnet__jent key = { k, strlen(k), -1 };
	size_t lo = 0, hi = n;

	/* first entry greater than (k, any line) */
	key.line = (int)(~0u >> 1);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_ent(&v[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || v[lo - 1].klen != key.klen || memcmp(v[lo - 1].key, k, key.klen))
		return -1;
	return (long)lo - 1;
}

int nsnet__jindex_link(const struct nsnet__jindex *x, const char *name)
{
	return find_last(x->links, x->nlinks, name) >= 0;
}

int nsnet__jindex_ino(const struct nsnet__jindex *x, const char *ns, struct nsnet_nsid *id)
{
	long i = find_last(x->inos, x->ninos, ns);
	unsigned long dev, ino;
	char name[300];

	/* a node recreated by a converge: its last line */
	if (i < 0 || sscanf(x->lines[x->inos[i].line], "nsino %299s %lu %lu", name, &dev, &ino) != 3 ||
	    strcmp(name, ns))
		return 0;
	id->dev = dev;
	id->ino = ino;
	return 1;
}

/* ---- namespaces unbound side by side ------------------------------------------- */

#define DEL_THREADS 4

struct del_many {
	const struct nsnet__jindex *x;
	const char *const *names;
	size_t n;
	size_t next;		/* atomic: next name to take */
	size_t done;		/* atomic */
};

static void *del_worker(void *p)
{
	struct del_many *m = p;
	size_t i;

	while ((i = __atomic_fetch_add(&m->next, 1, __ATOMIC_RELAXED)) < m->n) {
		struct nsnet_nsid id;

		nsnet__netns_del_owned(m->names[i], &id, nsnet__jindex_ino(m->x, m->names[i], &id));
		__atomic_add_fetch(&m->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

void nsnet__netns_del_journaled(const struct nsnet__jindex *x, const char *const *names, size_t n,
				nsnet_progress_fn progress, void *parg)
{
	struct del_many m = { x, names, n, 0, 0 };
	pthread_t t[DEL_THREADS];
	int started[DEL_THREADS] = { 0 };
	size_t i, k, last = 0;

	for (k = 0; k < DEL_THREADS && n > 64 * (k + 1); k++)
		started[k] = pthread_create(&t[k], NULL, del_worker, &m) == 0;
	/* this thread works too, and alone reports progress */
	while ((i = __atomic_fetch_add(&m.next, 1, __ATOMIC_RELAXED)) < n) {
		struct nsnet_nsid id;
		size_t done;

		nsnet__netns_del_owned(names[i], &id, nsnet__jindex_ino(x, names[i], &id));
		done = __atomic_add_fetch(&m.done, 1, __ATOMIC_RELAXED);
		if (progress && done / 64 != last / 64) {
			progress("namespaces", done, n, parg);
			last = done;
		}
	}
	for (k = 0; k < DEL_THREADS; k++)
		if (started[k])
			pthread_join(t[k], NULL);
	if (progress)
		progress("namespaces", n, n, parg);
}
