// SPDX-License-Identifier: MIT
/*
 * Floor probe: the bare kernel work of a star of N hosts — no validation, no
 * journal, no error reporting beyond the first failure. Written against
 * libmnl and syscalls directly (not libnsnet), so nsnet's overhead can be
 * measured against it.
 *
 *   floor up N [--no-bridge]    bridge fbr0 10.0.0.1/16; hosts fh1..fhN: named
 *                               netns + veth (peer made in the netns) on the
 *                               bridge + lo up + address + default route.
 *                               Above 1000 hosts, as nsnet's star: a chain of
 *                               leaf bridges fbr0-K of at most 400 hosts, each
 *                               cabled to the one before, the first to fbr0
 *   floor up N --leaf K         that chain for any N, K hosts per leaf: with
 *                               K = 1 the shape of linear,N (N bridges in a
 *                               line, one host each); K = 10 has the bridge
 *                               and host counts of tree,3,10 (in a line)
 *   floor down N [--leaf K]     remove them and wait for the links to vanish
 *   floor bridges B             the kernel's cost of B bridges: make B empty
 *                               bridges in one batch, delete them in one group
 *
 * Must run inside a throwaway sandbox (bench/run.sh makes one).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define DIR "/run/netns"
#define BUFSZ (64 * 1024)
#define STAR 1000		/* hosts on one bridge at most, as nsnet's star */
#define LEAF 400		/* hosts per leaf of the chain above that */

/* --leaf K: always a chain of leaves of K hosts (K = 1: the shape of linear,N) */
static int leaf_k;

static int nleaves_of(int n)
{
	if (leaf_k > 0)
		return (n + leaf_k - 1) / leaf_k;
	return n > STAR ? (n + LEAF - 1) / LEAF : 0;
}
#define GROUP 0x666		/* device group of the floor's bridges and uplinks */

static char buf[BUFSZ], rbuf[256 * 1024];
static unsigned seq = 1;

struct batch {
	struct mnl_socket *sk;
	size_t off;
	unsigned n;
};

static struct nlmsghdr *msg(struct batch *b, int type, int flags)
{
	struct nlmsghdr *nlh;

	if (b->off + 4096 > BUFSZ) {
		fprintf(stderr, "floor: batch full\n");
		exit(1);
	}
	nlh = mnl_nlmsg_put_header(buf + b->off);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq++;
	b->n++;
	return nlh;
}

static void done(struct batch *b, struct nlmsghdr *nlh)
{
	b->off += NLMSG_ALIGN(nlh->nlmsg_len);
}

static int ifindex_reply;

/* send, then read one ACK per message; a GETLINK reply sets ifindex_reply */
static void flush(struct batch *b)
{
	unsigned acks = 0;

	if (!b->n)
		return;
	if (mnl_socket_sendto(b->sk, buf, b->off) < 0) {
		perror("floor: send");
		exit(1);
	}
	while (acks < b->n) {
		int len = (int)mnl_socket_recvfrom(b->sk, rbuf, sizeof(rbuf));
		struct nlmsghdr *nlh;

		if (len < 0) {
			perror("floor: recv");
			exit(1);
		}
		for (nlh = (void *)rbuf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (e->error) {
					fprintf(stderr, "floor: %s\n", strerror(-e->error));
					exit(1);
				}
				acks++;
			} else if (nlh->nlmsg_type == RTM_NEWLINK) {
				ifindex_reply = ((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index;
			}
		}
	}
	b->off = 0;
	b->n = 0;
}

static struct mnl_socket *sock(void)
{
	struct mnl_socket *sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int one = 1, rcv = 4 << 20;

	if (!sk || mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("floor: socket");
		exit(1);
	}
	mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	return sk;
}

static struct ifinfomsg *ifi(struct nlmsghdr *nlh, int index, int up)
{
	struct ifinfomsg *i = mnl_nlmsg_put_extra_header(nlh, sizeof(*i));

	i->ifi_index = index;
	if (up) {
		i->ifi_flags = IFF_UP;
		i->ifi_change = IFF_UP;
	}
	return i;
}

/* Quiet, as nsnet's labs: no multicast snooping on the bridges ... */
static void snoop_off(struct nlmsghdr *nlh)
{
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);

	mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
	mnl_attr_nest_end(nlh, data);
}

/* ... and no IPv6 link-local addresses (set before the link is up) */
static void no_ll(struct nlmsghdr *nlh)
{
	struct nlattr *af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC), *in6;

	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int up(int n, int bridge)
{
	struct batch host = { sock(), 0, 0 };
	struct mnl_socket **node = calloc((size_t)n + 1, sizeof(*node));
	int *nsfd = calloc((size_t)n + 1, sizeof(*nsfd));
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), br = 0, i;
	struct nlmsghdr *nlh;
	struct nlattr *li, *data, *peer;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	uint32_t a;
	char name[64];
	int nleaves = 0, *leaf = NULL, fd0;

	/* the sandbox's own default (nsnet, on a real host, sets each link instead) */
	fd0 = open("/proc/sys/net/ipv6/conf/default/addr_gen_mode", O_WRONLY | O_CLOEXEC);
	if (fd0 >= 0) {
		if (write(fd0, "1", 1) != 1)
			perror("floor: addr_gen_mode");
		close(fd0);
	}
	mkdir(DIR, 0755);
	if (mount("", DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		mount(DIR, DIR, "none", MS_BIND | MS_REC, NULL);
		mount("", DIR, "none", MS_PRIVATE | MS_REC, NULL);
		mount("", DIR, "none", MS_SHARED | MS_REC, NULL);
	}
	if (bridge) {
		nlh = msg(&host, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		ifi(nlh, 0, 1);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "fbr0");
		mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
		snoop_off(nlh);
		mnl_attr_nest_end(nlh, li);
		done(&host, nlh);
		nlh = msg(&host, RTM_GETLINK, 0);
		ifi(nlh, 0, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "fbr0");
		done(&host, nlh);
		flush(&host);
		br = ifindex_reply;
		nleaves = nleaves_of(n);
		leaf = calloc((size_t)nleaves + 1, sizeof(*leaf));
		for (i = 0; i < nleaves; i++) {
			struct ifinfomsg *p;

			/* leaf bridge fbr0-K, then its uplink veth fu-K (on it) -- fd-K (on the one before) */
			nlh = msg(&host, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
			ifi(nlh, 0, 1);
			snprintf(name, sizeof(name), "fbr0-%d", i + 1);
			mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
			mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
			li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
			mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
			snoop_off(nlh);
			mnl_attr_nest_end(nlh, li);
			done(&host, nlh);
			nlh = msg(&host, RTM_GETLINK, 0);
			ifi(nlh, 0, 0);
			mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
			done(&host, nlh);
			flush(&host);
			leaf[i] = ifindex_reply;
			nlh = msg(&host, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
			ifi(nlh, 0, 1);
			snprintf(name, sizeof(name), "fu-%d", i + 1);
			mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
			mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
			mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)leaf[i]);
			li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
			mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
			data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
			peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
			p = mnl_nlmsg_get_payload_tail(nlh);
			memset(p, 0, sizeof(*p));
			nlh->nlmsg_len += NLMSG_ALIGN(sizeof(*p));
			snprintf(name, sizeof(name), "fd-%d", i + 1);
			mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
			mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
			mnl_attr_nest_end(nlh, peer);
			mnl_attr_nest_end(nlh, data);
			mnl_attr_nest_end(nlh, li);
			done(&host, nlh);
			nlh = msg(&host, RTM_NEWLINK, 0);
			ifi(nlh, 0, 1);
			mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
			mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)(i ? leaf[i - 1] : br));
			done(&host, nlh);
			flush(&host);
		}
		nlh = msg(&host, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 16;
		ifa->ifa_index = (unsigned)br;
		a = htonl(0x0a000001);
		mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
		done(&host, nlh);
		flush(&host);
	}
	/* namespaces: unshare on this (single) thread, bind, socket inside, back */
	for (i = 0; i < n; i++) {
		int fd;

		snprintf(name, sizeof(name), DIR "/fh%d", i + 1);
		fd = open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd < 0 || unshare(CLONE_NEWNET) < 0 ||
		    mount("/proc/self/ns/net", name, "none", MS_BIND, NULL) < 0) {
			perror("floor: netns");
			return 1;
		}
		close(fd);
		nsfd[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		setns(self, CLONE_NEWNET);
	}
	/* host batch: veths, host end on the bridge and up, peer inside the netns */
	for (i = 0; i < n; i++) {
		struct ifinfomsg *p;

		nlh = msg(&host, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		ifi(nlh, 0, 1);
		snprintf(name, sizeof(name), "fv%d", i + 1);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
		if (br)	/* host i (0-based) on leaf i*K/n, as nsnet spreads them */
			mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)(nleaves ?
					 leaf[(long)i * nleaves / n] : br));
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
		p = mnl_nlmsg_get_payload_tail(nlh);
		memset(p, 0, sizeof(*p));
		nlh->nlmsg_len += NLMSG_ALIGN(sizeof(*p));
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd[i]);
		mnl_attr_nest_end(nlh, peer);
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, li);
		done(&host, nlh);
		if (host.off + 4096 > BUFSZ || host.n >= 500)
			flush(&host);
	}
	flush(&host);
	/* per node: lo up + find eth0; then eth0 up, address, default route */
	for (i = 0; i < n; i++) {
		struct batch b;

		/* the node's socket, opened inside it now: one fd per node until here */
		setns(nsfd[i], CLONE_NEWNET);
		node[i] = sock();
		setns(self, CLONE_NEWNET);
		b = (struct batch){ node[i], 0, 0 };
		uint32_t gw = htonl(0x0a000001);

		nlh = msg(&b, RTM_NEWLINK, 0);
		ifi(nlh, 1, 1);
		done(&b, nlh);
		nlh = msg(&b, RTM_NEWLINK, 0);
		ifi(nlh, 0, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		no_ll(nlh);
		done(&b, nlh);
		nlh = msg(&b, RTM_GETLINK, 0);
		ifi(nlh, 0, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
		done(&b, nlh);
		flush(&b);
		nlh = msg(&b, RTM_NEWLINK, 0);
		ifi(nlh, ifindex_reply, 1);
		done(&b, nlh);
		nlh = msg(&b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 16;
		ifa->ifa_index = (unsigned)ifindex_reply;
		a = htonl(0x0a000000 + (uint32_t)i + 2);
		mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
		mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
		done(&b, nlh);
		nlh = msg(&b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = AF_INET;
		rtm->rtm_table = RT_TABLE_MAIN;
		rtm->rtm_protocol = RTPROT_BOOT;
		rtm->rtm_type = RTN_UNICAST;
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
		done(&b, nlh);
		flush(&b);
		mnl_socket_close(node[i]);
		close(nsfd[i]);
	}
	mnl_socket_close(host.sk);
	free(node);
	free(nsfd);
	free(leaf);
	return 0;
}

static int count_links(struct mnl_socket *sk)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *i;
	int count = 0;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq++;
	i = mnl_nlmsg_put_extra_header(nlh, sizeof(*i));
	i->ifi_family = AF_UNSPEC;
	mnl_socket_sendto(sk, nlh, nlh->nlmsg_len);
	for (;;) {
		int len = (int)mnl_socket_recvfrom(sk, rbuf, sizeof(rbuf));

		if (len <= 0)
			return -1;
		for (nlh = (void *)rbuf; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_DONE)
				return count;
			count++;
		}
	}
}

static int down(int n)
{
	struct mnl_socket *sk = sock();
	struct batch b = { sk, 0, 0 };
	struct nlmsghdr *nlh;
	char name[64];
	int i, base, nleaves;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), DIR "/fh%d", i + 1);
		umount2(name, MNT_DETACH);
		unlink(name);
	}
	/* the veths die with their namespaces (asynchronously): wait for lo, the bridges, uplinks */
	nleaves = nleaves_of(n);
	base = 2 + 3 * nleaves;
	while (count_links(sk) > base)
		usleep(2000);
	nlh = msg(&b, RTM_DELLINK, 0);
	ifi(nlh, 0, 0);
	mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);	/* bridges and uplinks, one batch */
	done(&b, nlh);
	b.n = b.n;	/* none (--no-bridge) is fine */
	if (mnl_socket_sendto(sk, buf, b.off) >= 0)
		mnl_socket_recvfrom(sk, rbuf, sizeof(rbuf));
	mnl_socket_close(sk);
	return 0;
}

/* B empty bridges made in one batch, then deleted as one group: seconds of each on stdout. */
static int bridges(int n)
{
	struct batch b = { sock(), 0, 0 };
	struct nlmsghdr *nlh;
	struct nlattr *li;
	char name[64];
	double t0 = now(), t1;
	int i;

	for (i = 0; i < n; i++) {
		nlh = msg(&b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
		ifi(nlh, 0, 1);
		snprintf(name, sizeof(name), "fb%d", i + 1);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
		mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
		snoop_off(nlh);
		mnl_attr_nest_end(nlh, li);
		done(&b, nlh);
		if (b.off + 4096 > BUFSZ || b.n >= 500)
			flush(&b);
	}
	flush(&b);
	t1 = now();
	nlh = msg(&b, RTM_DELLINK, 0);
	ifi(nlh, 0, 0);
	mnl_attr_put_u32(nlh, IFLA_GROUP, GROUP);
	done(&b, nlh);
	flush(&b);
	printf("%.3f %.3f\n", t1 - t0, now() - t1);
	mnl_socket_close(b.sk);
	return 0;
}

int main(int argc, char **argv)
{
	double t0 = now();
	int n, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: floor up|down N [--no-bridge] [--leaf K] | floor bridges B\n");
		return 2;
	}
	n = atoi(argv[2]);
	for (ret = 3; ret + 1 < argc; ret++)
		if (!strcmp(argv[ret], "--leaf"))
			leaf_k = atoi(argv[ret + 1]);
	if (!strcmp(argv[1], "up"))
		ret = up(n, !(argc > 3 && !strcmp(argv[3], "--no-bridge")));
	else if (!strcmp(argv[1], "bridges"))
		ret = bridges(n);
	else
		ret = down(n);
	fprintf(stderr, "floor %s %d: %.3f s\n", argv[1], n, now() - t0);
	return ret;
}
