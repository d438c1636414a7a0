/* SPDX-License-Identifier: MIT */
/* Shared by apply.c and forward.c; not installed. */
#include "nsnet/apply.h"

#define NSNET_FWD_KEY "net.ipv4.ip_forward"
#define NSNET_FWD6_KEY "net.ipv6.conf.all.forwarding"

/*
 * (Re)write the lab's NAT table: its file's masquerade and forwards plus
 * @extra runtime forwards, in one transaction, with the host settings it
 * needs (held ip_forward, route_localnet and hairpin on the lab's bridges).
 */
int nsnet__nat_apply_all(const struct nsnet_lab *lab, const struct nsnet_forward *extra,
			 size_t nextra, struct nsnet_err *err);

/* nsnet_lab_down() for a caller that holds the lab's lock already. */
int nsnet__lab_down_locked(const char *name, struct nsnet_err *err);

struct nsnet_plan;
struct nsnet_link_info;
struct nsnet_nsid;

/* Execute @p for lab @lab (lib/exec.c). The journal must exist. */
int nsnet__plan_exec(const struct nsnet_plan *p, const char *lab, nsnet_progress_fn progress,
		     void *parg, struct nsnet_err *err);
/*
 * The host links named @names (@n of them; NULLs and repeats allowed) into
 * *@v, sorted by name: looked up by name in one batch when there are few,
 * from one dump otherwise (dumping a host with a 1000-port lab costs far more
 * than a one-node converge). Returns how many exist, or -errno.
 */
struct nsnet_nl;
int nsnet__host_links_named(struct nsnet_nl *nl, const char *const *names, size_t n,
			    struct nsnet_link_info **v, struct nsnet_err *err);
/* Ours: the lab's alias, or no alias yet and the lab's group. */
int nsnet__link_owned(const struct nsnet_link_info *l, const char *alias, uint32_t group);
/* The hash journaled with a node command's pid. */
uint32_t nsnet__cmd_hash(const char *cmd);
/*
 * Unbind namespace @ns if it is ours: its inode is @id (when @have_id), or it
 * is the empty mode-0 file of a creation that crashed before the bind.
 */
int nsnet__netns_del_owned(const char *ns, const struct nsnet_nsid *id, int have_id);

/* Journal lookups for `down` (lib/teardown.c): sorted once, O(log n) each. */
struct nsnet__jindex {
	struct nsnet__jent *links, *inos;	/* "link NAME", "nsino NAME DEV INO" lines */
	size_t nlinks, ninos;
	char **lines;
};
/* Index @lines (kept, not copied). 0 or -ENOMEM. */
int nsnet__jindex_init(struct nsnet__jindex *x, char **lines, int n);
void nsnet__jindex_free(struct nsnet__jindex *x);
/* 1 if a "link @name" line is journaled. */
int nsnet__jindex_link(const struct nsnet__jindex *x, const char *name);
/* 1 and *id from the last "nsino @ns" line, 0 if none. */
int nsnet__jindex_ino(const struct nsnet__jindex *x, const char *ns, struct nsnet_nsid *id);
/*
 * Unbind namespaces @names (each if ours by the journal: nsnet__netns_del_owned),
 * on several threads; @progress is called from the calling thread only.
 */
void nsnet__netns_del_journaled(const struct nsnet__jindex *x, const char *const *names, size_t n,
				nsnet_progress_fn progress, void *parg);
