// SPDX-License-Identifier: MIT
/*
 * Floor probe: the bare kernel work of a star of N hosts — no validation, no
 * journal, no error reporting beyond the first failure. Written against
 * libmnl and syscalls directly (not libnsnet), so nsnet's overhead can be
 * measured against it.
 *
 *   floor up N [--no-bridge]    bridge fbr0 10.0.0.1/16; hosts fh1..fhN: named
 *                               netns + veth (peer made in the netns) on the
 *                               bridge + lo up + address + default route
 *   floor down N                remove them and wait for the links to vanish
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
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
		mnl_attr_nest_end(nlh, li);
		done(&host, nlh);
		nlh = msg(&host, RTM_GETLINK, 0);
		ifi(nlh, 0, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "fbr0");
		done(&host, nlh);
		flush(&host);
		br = ifindex_reply;
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
		node[i] = sock();
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
		if (br)
			mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)br);
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
		struct batch b = { node[i], 0, 0 };
		uint32_t gw = htonl(0x0a000001);

		nlh = msg(&b, RTM_NEWLINK, 0);
		ifi(nlh, 1, 1);
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
	int i, base;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), DIR "/fh%d", i + 1);
		umount2(name, MNT_DETACH);
		unlink(name);
	}
	/* the veths die with their namespaces (asynchronously): wait for lo + fbr0 only */
	base = 2;
	while (count_links(sk) > base)
		usleep(2000);
	nlh = msg(&b, RTM_DELLINK, 0);
	ifi(nlh, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "fbr0");
	done(&b, nlh);
	b.n = b.n;	/* a missing bridge (--no-bridge) is fine */
	if (mnl_socket_sendto(sk, buf, b.off) >= 0)
		mnl_socket_recvfrom(sk, rbuf, sizeof(rbuf));
	mnl_socket_close(sk);
	return 0;
}

int main(int argc, char **argv)
{
	double t0 = now();
	int n, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: floor up|down N [--no-bridge]\n");
		return 2;
	}
	n = atoi(argv[2]);
	if (!strcmp(argv[1], "up"))
		ret = up(n, !(argc > 3 && !strcmp(argv[3], "--no-bridge")));
	else
		ret = down(n);
	fprintf(stderr, "floor %s %d: %.3f s\n", argv[1], n, now() - t0);
	return ret;
}
