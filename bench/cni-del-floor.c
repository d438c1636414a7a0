// SPDX-License-Identifier: MIT
/*
 * The floor of a CNI DEL: one process start and one veth deletion. Sends a
 * single RTM_DELLINK (by name) on a fresh rtnetlink socket and waits for its
 * ACK, which the kernel sends once the device is unregistered (deleting the
 * host end takes the container end with it). Plain syscalls, no library
 * beyond libc, so that its process start is as cheap as a process start gets.
 * With several names, each is deleted on a thread of its own, all at once
 * (the floor of a DEL that also removes an IFB).
 *
 *   cni-del-floor IFNAME...   exit 0 if all deleted, 1 otherwise
 *
 * bench/cni-bench.sh starts it once per container, on veths made like the
 * plugins' (host end on a bridge, peer in a namespace with an address).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

static void *del(void *arg)
{
	const char *name = arg;
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
		char attrs[64];
	} req;
	char buf[4096];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	size_t len = strlen(name);
	struct nlattr *a;
	struct nlmsghdr *r;
	ssize_t n;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		perror("socket");
		return (void *)1;
	}
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_type = RTM_DELLINK;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.n.nlmsg_seq = 1;
	req.i.ifi_family = AF_UNSPEC;
	a = (struct nlattr *)req.attrs;
	a->nla_type = IFLA_IFNAME;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len + 1);
	memcpy((char *)a + NLA_HDRLEN, name, len + 1);
	req.n.nlmsg_len = (unsigned)(NLMSG_LENGTH(sizeof(req.i)) + NLA_ALIGN(a->nla_len));
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("sendto");
		return (void *)1;
	}
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	r = (struct nlmsghdr *)buf;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(int)) || r->nlmsg_type != NLMSG_ERROR) {
		fprintf(stderr, "cni-del-floor: no ACK\n");
		return (void *)1;
	}
	err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
	if (err) {
		fprintf(stderr, "cni-del-floor: %s: %s\n", name, strerror(-err));
		return (void *)1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[8];
	void *rv;
	int i, ret = 0, started[8] = { 0 };

	if (argc < 2 || argc > 9) {
		fprintf(stderr, "usage: cni-del-floor IFNAME...\n");
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (!*argv[i] || strlen(argv[i]) > 15) {
			fprintf(stderr, "cni-del-floor: bad name %s\n", argv[i]);
			return 2;
		}
	/* the first in this thread, the others on threads of their own */
	for (i = 2; i < argc; i++)
		started[i - 1] = pthread_create(&t[i - 1], NULL, del, argv[i]) == 0;
	ret |= del(argv[1]) != NULL;
	for (i = 2; i < argc; i++) {
		if (!started[i - 1])
			rv = del(argv[i]);
		else
			pthread_join(t[i - 1], &rv);
		ret |= rv != NULL;
	}
	return ret;
}
