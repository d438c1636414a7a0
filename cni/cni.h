/* SPDX-License-Identifier: MIT */
/*
 * nsnet-cni internals. The pure parts (config.c, result.c, ipam.c, the
 * rendering half of fw.c) depend only on libnsnet's pure helpers and jansson,
 * so unit tests and the fuzzer include those .c files directly.
 */
#ifndef NSNET_CNI_INT_H
#define NSNET_CNI_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nsnet/addr.h"
#include "nsnet/err.h"

/* Protocol versions we speak (index order = age). */
enum cni_ver { CNI_V030, CNI_V031, CNI_V040, CNI_V100, CNI_V110, CNI_NVER };
extern const char *const cni_versions[CNI_NVER];

enum cni_cmd { CNI_ADD = 1, CNI_DEL, CNI_CHECK, CNI_VERSION, CNI_STATUS, CNI_GC };

/* Error codes of the spec (SPEC.md, "Error") and ours (100+). */
enum {
	CNI_ERR_VERSION = 1,		/* incompatible CNI version */
	CNI_ERR_UNSUPPORTED = 2,	/* unsupported field in network configuration */
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_ENV = 4,		/* invalid environment variables */
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_CONFIG = 7,
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,	/* STATUS: cannot service ADD */
	CNI_ERR_KERNEL = 100,		/* a netlink / sysctl operation failed */
	CNI_ERR_NFT = 101,		/* an nftables transaction failed */
	CNI_ERR_IPAM_FULL = 102,	/* no free address in a range set */
	CNI_ERR_IP_TAKEN = 103,		/* requested address in use or outside the ranges */
	CNI_ERR_IFACE_EXISTS = 104,	/* CNI_IFNAME already present in the container */
	CNI_ERR_PORT_TAKEN = 105,	/* host port mapped by another attachment */
	CNI_ERR_DUPLICATE = 106,	/* ADD for an attachment that exists (no DEL in between) */
	CNI_ERR_CHECK = 107,		/* CHECK found a difference */
	CNI_ERR_IPAM = 108,		/* delegated IPAM plugin: not found, crashed, bad output */
};

struct cni_error {
	int code;
	char msg[128];
	char details[768];
};

/* Sets @e (first error wins) and returns -1. */
int cni_fail(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define CNI_CID_MAX 200
#define CNI_MAX_SETS 8
#define CNI_MAX_RANGES 16
#define CNI_MAX_ROUTES 32
#define CNI_MAX_PM 64

struct cni_env {
	int cmd;
	const char *cid;	/* CNI_CONTAINERID */
	const char *netns;	/* CNI_NETNS, NULL if unset/empty */
	const char *ifname;	/* CNI_IFNAME */
	const char *args;	/* CNI_ARGS */
	const char *path;	/* CNI_PATH */
	const char *conf;	/* the configuration as read from stdin (for delegation) */
	size_t conf_len;
};

struct cni_range {
	struct nsnet_prefix subnet;	/* network, plen */
	struct nsnet_prefix start, end;	/* inclusive, plen = subnet's */
	struct nsnet_prefix gw;		/* plen = subnet's */
};

struct cni_rangeset {
	struct cni_range r[CNI_MAX_RANGES];
	size_t n;
};

struct cni_route {
	struct nsnet_prefix dst;
	struct nsnet_prefix gw;		/* family 0: the set's gateway of that family */
};

struct cni_pm {
	uint16_t host_port, cont_port;
	int proto;			/* IPPROTO_TCP / UDP / SCTP */
	struct nsnet_prefix host_ip;	/* family 0: every local address */
};

/* Bandwidth limits as the reference bandwidth plugin reads them: bits/s and bits, 0 = none. */
struct cni_bw {
	uint64_t in_rate, in_burst;	/* to the container (tbf on the host veth) */
	uint64_t eg_rate, eg_burst;	/* from the container (IFB + tbf) */
};

struct cni_attach_id {
	const char *cid, *ifname;
};

struct cni_conf {
	json_t *root;			/* owns every string below */
	int ver;			/* enum cni_ver */
	const char *version;		/* as given */
	const char *name;
	const char *type;
	char bridge[16];
	int is_gw, is_default_gw, ip_masq, hairpin, promisc, force_address;
	int mtu;
	/* ipam */
	int has_ipam;			/* built-in host-local */
	const char *ipam_type;		/* delegated IPAM plugin (a file name on CNI_PATH), or NULL */
	struct cni_rangeset sets[CNI_MAX_SETS];
	size_t nsets;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t nroutes;
	char data_dir[512];
	json_t *dns;			/* passed through to the result, NULL if none */
	/* runtimeConfig / args */
	struct cni_pm pm[CNI_MAX_PM];
	size_t npm;
	struct cni_bw bw;		/* top-level keys, else runtimeConfig.bandwidth */
	struct nsnet_prefix req[CNI_MAX_SETS];	/* requested static addresses */
	size_t nreq;
	json_t *prev;			/* prevResult, NULL if none */
	/* GC */
	struct cni_attach_id *valid;
	size_t nvalid;
	int has_valid;
};

/* config.c: pure */
int cni_version_index(const char *s);		/* enum cni_ver or -1 */
int cni_cmd_parse(const char *s);		/* enum cni_cmd or 0 */
int cni_cid_check(const char *cid);		/* 0 or -EINVAL (spec charset) */
int cni_network_name_check(const char *name);	/* 0 or -EINVAL */
int cni_env_parse(int cmd, const char *cid, const char *netns, const char *ifname,
		  const char *args, const char *path, struct cni_env *env, struct cni_error *e);
int cni_conf_parse(const char *buf, size_t len, const struct cni_env *env, struct cni_conf *c,
		   struct cni_error *e);
void cni_conf_free(struct cni_conf *c);
/* Default data directory (/var/lib/cni/networks/<name>) unless ipam.dataDir. */
#define CNI_DATA_DIR_DEFAULT "/var/lib/cni/networks"

/* ---- ipam.c: address store, host-local's on-disk format ------------------------ */

struct cni_store {
	int dirfd;
	int lockfd;
	char dir[512];
};

struct cni_alloc {
	struct nsnet_prefix ip;		/* address, plen of its subnet */
	struct nsnet_prefix gw;		/* the range's gateway */
	int set;			/* range set index */
};

/* mkdir -p @dir (0700 for what we create), open it, flock(lock) with a timeout. */
int cni_store_open(struct cni_store *s, const char *dir, int timeout_ms, struct nsnet_err *err);
void cni_store_close(struct cni_store *s);
/* Reserve one address per range set for (cid, ifname), honouring @c->req. */
int cni_ipam_alloc(struct cni_store *s, const struct cni_conf *c, const char *cid,
		   const char *ifname, struct cni_alloc *out, size_t *nout, struct cni_error *e);
/* Release @ip if reserved by (cid, ifname). 1 released, 0 not ours / absent. */
int cni_ipam_release_ip(struct cni_store *s, const struct nsnet_prefix *ip, const char *cid,
			const char *ifname);
/* Release every reservation of (cid, ifname) (directory scan); returns how many. */
int cni_ipam_release_all(struct cni_store *s, const char *cid, const char *ifname);
/* 1 if @ip is reserved by (cid, ifname). */
int cni_ipam_owns(struct cni_store *s, const struct nsnet_prefix *ip, const char *cid,
		  const char *ifname);
/* Free addresses left in each range set (capped at @cap); -errno on error. */
long cni_ipam_free_count(struct cni_store *s, const struct cni_conf *c, size_t set, long cap);
/*
 * GC: release every reservation whose owner is not in @valid (and not
 * @keep_cid/... ); returns how many were released.
 */
int cni_ipam_gc(struct cni_store *s, const struct cni_attach_id *valid, size_t nvalid);

/* Attachment record: what DEL needs when no prevResult / netns is left. */
struct cni_record {
	char cid[CNI_CID_MAX + 1];
	char ifname[16];
	char host_veth[16];
	char bridge[16];
	struct cni_alloc ips[CNI_MAX_SETS];
	size_t nips;
	struct cni_pm pm[CNI_MAX_PM];
	size_t npm;
	int masq;
	char ipam[64];			/* delegated IPAM plugin's type, "" if built in */
	struct cni_bw bw;		/* limits applied */
	char ifb[16];			/* IFB device of the egress limit, "" if none */
	/* the routes this attachment installed (older records: none listed, has_routes 0) */
	struct cni_route routes[CNI_MAX_ROUTES + 2];
	size_t nroutes;
	int has_routes;
};

int cni_record_write(struct cni_store *s, const struct cni_record *r);
/* 0, -ENOENT if none, -EBADMSG if unreadable. */
int cni_record_read(struct cni_store *s, const char *cid, const char *ifname, struct cni_record *r);
int cni_record_remove(struct cni_store *s, const char *cid, const char *ifname);
/* Every record (malloc'ed array). Returns count or -errno. */
int cni_record_list(struct cni_store *s, struct cni_record **out);
/* The records of container @cid (every ifname; malloc'ed array). Count or -errno. */
int cni_record_list_cid(struct cni_store *s, const char *cid, struct cni_record **out);
/* JSON form of a record (pure, for tests and the store). */
json_t *cni_record_json(const struct cni_record *r);
int cni_record_from_json(json_t *j, struct cni_record *r);

/* ---- result.c: JSON out -------------------------------------------------------- */

struct cni_iface {
	char name[16];
	uint8_t mac[6];
	int has_mac;
	int mtu;
	const char *sandbox;		/* NULL on the host */
};

struct cni_result {
	struct cni_iface ifaces[4];	/* bridge, host veth, container, IFB of an egress limit */
	size_t nifaces;
	struct cni_alloc ips[CNI_MAX_SETS];
	size_t nips;
	int ip_iface;			/* index of the container interface */
	struct cni_route routes[CNI_MAX_ROUTES + 2];
	size_t nroutes;
	json_t *dns;			/* borrowed */
};

/* A result as another plugin (a delegated IPAM plugin) or prevResult gives it. */
struct cni_ipam_result {
	json_t *root;			/* owns dns */
	struct cni_alloc ips[CNI_MAX_SETS];
	size_t nips;
	struct cni_route routes[CNI_MAX_ROUTES];
	size_t nroutes;
	json_t *dns;			/* NULL if absent or empty */
};

/*
 * Parse a result (any version 0.3.0..1.1.0: ips[].address/gateway,
 * routes[].dst/gw, dns). Pure; @r->root holds a reference to @j. -1 with @e
 * set (code @code) on anything malformed.
 */
int cni_result_parse(json_t *j, struct cni_ipam_result *r, int code, struct cni_error *e);
int cni_result_parse_buf(const char *buf, size_t len, struct cni_ipam_result *r, int code,
			 struct cni_error *e);
void cni_ipam_result_free(struct cni_ipam_result *r);
/* Fill missing gateways with the subnet's first address (as the bridge plugin). */
void cni_result_fill_gateways(struct cni_alloc *ips, size_t nips);

/* Result JSON of @ver (malloc'ed string). */
char *cni_result_render(const struct cni_result *r, int ver);
char *cni_error_render(const struct cni_error *e, const char *version);
char *cni_version_render(const char *version);
/* The routes the container gets (ipam routes with gateways filled, + default routes). */
void cni_result_routes(const struct cni_conf *c, const struct cni_alloc *ips, size_t nips,
		       struct cni_route *out, size_t *nout);
/* Same from an explicit route list (@out: room for @nin + 2). */
void cni_routes_build(const struct cni_route *in, size_t nin, int default_gw,
		      const struct cni_alloc *ips, size_t nips, struct cni_route *out, size_t *nout);

/* ---- fw.c: nftables ------------------------------------------------------------ */

/* "nsnet-cni-<network>" */
void cni_fw_table(const struct cni_conf *c, char *buf, size_t len);
/* Pure: the nft script creating the table with its sets, maps, chains and rules (malloc'ed). */
char *cni_fw_table_script(const struct cni_conf *c);
/* Pure: element commands of @r (@op "add"/"delete"), appended to @cmds. */
int cni_fw_elem_cmds(json_t *cmds, const struct cni_conf *c, const struct cni_record *r,
		     const char *op);
/* ADD: elements (creating the table first if needed: *created = 1). */
int cni_fw_add(const struct cni_conf *c, const struct cni_record *r, int *created,
	       struct nsnet_err *err);
/* Rollback of the ADD that created the table. */
int cni_fw_drop_table(const struct cni_conf *c, struct nsnet_err *err);
/*
 * DEL: remove exactly the elements of @r that still map to @r (idempotent).
 * With @keep, the libnftables session is left open in *@keep (NULL if none
 * was needed) for the caller to close with nsnet_nft_close() after its other
 * slow work: closing it right after a deletion waits for an RCU grace period.
 */
struct nsnet_nft;
int cni_fw_del(const struct cni_conf *c, const struct cni_record *r, struct nsnet_nft **keep,
	       struct nsnet_err *err);
/* CHECK: 0 if the table and every element of @r are present. */
int cni_fw_check(const struct cni_conf *c, const struct cni_record *r, struct nsnet_err *err);
/* STATUS: 0 if nftables is usable. */
int cni_fw_ready(struct nsnet_err *err);

/* ---- net.c: links, addresses, routes (through libnsnet) ----------------------------- */

/* Host end: "veth" + 11 hex digits of a hash of (network, cid, ifname). */
void cni_host_veth_name(const char *network, const char *cid, const char *ifname, char buf[16]);
/* IFB of the egress limit: "ifb" + 12 hex digits of the same hash. */
void cni_ifb_name(const char *network, const char *cid, const char *ifname, char buf[16]);
void cni_owner_alias(const char *network, const char *cid, const char *ifname, char *buf,
		     size_t len);

#endif
