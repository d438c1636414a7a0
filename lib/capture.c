// SPDX-License-Identifier: MIT
/*
 * Live packet capture inside a namespace, with libpcap. The pcap handle (an
 * AF_PACKET socket) is created and bound on a short-lived thread switched
 * into the namespace; afterwards it belongs to that namespace whatever
 * thread reads it. The loop polls the socket and an eventfd (break) with a
 * short timeout, so it also notices the interface or the namespace going
 * away: an AF_PACKET socket holds its namespace, and a capture must not
 * keep a deleted lab's namespace alive.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsnet/capture.h"
#include "nsnet/netns.h"
#include "capture-int.h"

#define SNAPLEN 262144
#define POLL_MS 200

struct nsnet_capture {
	pcap_t *p;
	int fd;				/* pcap's selectable fd (the packet socket) */
	int brk;			/* eventfd: nsnet_capture_break() */
	int ifindex;			/* of the interface when opened */
	char ifname[IF_NAMESIZE];
	char ns[256];			/* "" if the caller's namespace */
	unsigned long ns_dev, ns_ino;	/* the namespace's nsfs inode */
	int linktype;
	pcap_dumper_t *dump;
	FILE *dumpf;
	unsigned long received;
	/* during a loop */
	nsnet_capture_fn fn;
	void *arg;
	int stop;			/* -errno that ended the loop, 0 */
	struct nsnet_err *err;
};

struct open_arg {
	struct nsnet_capture *c;
	const char *filter;
	struct nsnet_err *err;
};

static int pcap_errno(int status)
{
	switch (status) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

/* Runs in the target namespace (a worker thread, or a single-threaded child). */
static int open_here(void *p)
{
	struct open_arg *a = p;
	struct nsnet_capture *c = a->c;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	int ret;

	c->ifindex = (int)if_nametoindex(c->ifname);
	if (!c->ifindex)
		return nsnet_err_set(a->err, errno == ENODEV || errno == ENXIO ? -ENODEV : -errno,
				     "no interface \"%s\"%s%s%s", c->ifname,
				     c->ns[0] ? " in namespace \"" : "", c->ns, c->ns[0] ? "\"" : "");
	c->p = pcap_create(c->ifname, ebuf);
	if (!c->p)
		return nsnet_err_set(a->err, -ENOMEM, "pcap_create: %s", ebuf);
	pcap_set_snaplen(c->p, SNAPLEN);
	pcap_set_promisc(c->p, 1);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_timeout(c->p, POLL_MS);
	ret = pcap_activate(c->p);
	if (ret < 0)
		return nsnet_err_set(a->err, pcap_errno(ret), "%s: %s", c->ifname,
				     pcap_geterr(c->p)[0] ? pcap_geterr(c->p) : pcap_statustostr(ret));
	if (pcap_setnonblock(c->p, 1, ebuf) < 0)
		return nsnet_err_set(a->err, -EIO, "%s: %s", c->ifname, ebuf);
	c->linktype = pcap_datalink(c->p);
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd < 0)
		return nsnet_err_set(a->err, -EIO, "%s: no selectable descriptor", c->ifname);
	if (pcap_compile(c->p, &prog, a->filter ? a->filter : "", 1, PCAP_NETMASK_UNKNOWN) < 0)
		return nsnet_err_set(a->err, -EINVAL, "filter \"%s\": %s", a->filter,
				     pcap_geterr(c->p));
	ret = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (ret < 0)
		return nsnet_err_set(a->err, -EIO, "filter \"%s\": %s", a->filter,
				     pcap_geterr(c->p));
	return 0;
}

static int capture_new(const char *ns, const char *ifname, struct nsnet_capture **out,
		       struct nsnet_err *err)
{
	struct nsnet_capture *c;
	int ret;

	*out = NULL;
	if ((ret = nsnet_ifname_check(ifname, err)) < 0)
		return ret;
	if (ns && (ret = nsnet_netns_name_check(ns, err)) < 0)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	c->fd = -1;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	snprintf(c->ns, sizeof(c->ns), "%s", ns ? ns : "");
	c->brk = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->brk < 0) {
		ret = nsnet_err_set(err, -errno, "eventfd: %s", strerror(errno));
		nsnet_capture_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

static int finish_open(struct nsnet_capture *c, int nsfd, const char *filter,
		       struct nsnet_err *err)
{
	struct open_arg a = { c, filter, err };
	struct stat st;
	int ret;

	if (nsfd < 0)
		return open_here(&a);
	if (fstat(nsfd, &st) < 0)
		return nsnet_err_set(err, -errno, "namespace \"%s\": %s", c->ns, strerror(errno));
	c->ns_dev = (unsigned long)st.st_dev;
	c->ns_ino = (unsigned long)st.st_ino;
	ret = nsnet_netns_call(nsfd, open_here, &a, err);
	return ret;
}

int nsnet_capture_open(const char *ns, const char *ifname, const char *filter,
		       struct nsnet_capture **out, struct nsnet_err *err)
{
	struct nsnet_capture *c;
	int nsfd = -1, ret;

	ret = capture_new(ns, ifname, &c, err);
	if (ret < 0)
		return ret;
	if (ns) {
		nsfd = nsnet_netns_open(ns, err);
		if (nsfd < 0) {
			ret = nsfd;
			goto out;
		}
	}
	ret = finish_open(c, nsfd, filter, err);
out:
	if (nsfd >= 0)
		close(nsfd);
	if (ret < 0)
		nsnet_capture_close(c);
	else
		*out = c;
	return ret;
}

/*
 * For a process that has already entered the namespace (the capture
 * processes of lab files): open on the calling thread. @ns names the
 * namespace for the deletion check.
 */
int nsnet__capture_open_here(const char *ns, int nsfd, const char *ifname, const char *filter,
			     struct nsnet_capture **out, struct nsnet_err *err)
{
	struct open_arg a = { NULL, filter, err };
	struct nsnet_capture *c;
	struct stat st;
	int ret;

	ret = capture_new(ns, ifname, &c, err);
	if (ret < 0)
		return ret;
	a.c = c;
	if (nsfd >= 0 && fstat(nsfd, &st) == 0) {
		c->ns_dev = (unsigned long)st.st_dev;
		c->ns_ino = (unsigned long)st.st_ino;
	}
	ret = open_here(&a);
	if (ret < 0)
		nsnet_capture_close(c);
	else
		*out = c;
	return ret;
}

int nsnet__capture_ifindex(const struct nsnet_capture *c)
{
	return c->ifindex;
}

int nsnet_capture_linktype(const struct nsnet_capture *c)
{
	return c->linktype;
}

int nsnet_capture_dump(struct nsnet_capture *c, FILE *f, struct nsnet_err *err)
{
	if (c->dump)
		return nsnet_err_set(err, -EBUSY, "the capture is already written somewhere");
	c->dump = pcap_dump_fopen(c->p, f);
	if (!c->dump)
		return nsnet_err_set(err, -EIO, "pcap header: %s", pcap_geterr(c->p));
	c->dumpf = f;
	if (pcap_dump_flush(c->dump) < 0)
		return nsnet_err_set(err, -(errno ? errno : EIO), "write: %s",
				     strerror(errno ? errno : EIO));
	return 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct nsnet_capture *c = (struct nsnet_capture *)user;
	struct nsnet_capture_pkt pkt;
	int ret;

	if (c->stop)
		return;
	c->received++;
	if (c->dump) {
		errno = 0;
		pcap_dump((u_char *)c->dump, h, bytes);
		if (pcap_dump_flush(c->dump) < 0 || ferror(c->dumpf)) {
			int e = errno ? errno : EIO;

			c->stop = nsnet_err_set(c->err, -e, "write: %s", strerror(e));
			pcap_breakloop(c->p);
			return;
		}
	}
	if (c->fn) {
		pkt.sec = (int64_t)h->ts.tv_sec;
		pkt.usec = (uint32_t)h->ts.tv_usec;
		pkt.caplen = h->caplen;
		pkt.len = h->len;
		pkt.data = bytes;
		ret = c->fn(&pkt, c->arg);
		if (ret < 0) {
			c->stop = ret;
			pcap_breakloop(c->p);
		}
	}
}

/* 1 while the interface we bound is still there (same index under the same name). */
static int iface_alive(const struct nsnet_capture *c)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	/* the packet socket answers in its own namespace */
	if (ioctl(c->fd, SIOCGIFINDEX, &ifr) < 0)
		return errno != ENODEV;
	return ifr.ifr_ifindex == c->ifindex;
}

/* 1 while the namespace is still bound at its name. */
static int ns_alive(const struct nsnet_capture *c)
{
	char path[PATH_MAX];
	struct stat st;

	if (!c->ns[0] || !c->ns_ino)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", nsnet_netns_dir(), c->ns);
	return stat(path, &st) == 0 && (unsigned long)st.st_dev == c->ns_dev &&
	       (unsigned long)st.st_ino == c->ns_ino;
}

long nsnet_capture_loop(struct nsnet_capture *c, long count, nsnet_capture_fn fn, void *arg,
			struct nsnet_err *err)
{
	unsigned long start = c->received;
	long ret = 0;

	c->fn = fn;
	c->arg = arg;
	c->err = err;
	c->stop = 0;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = c->fd, .events = POLLIN },
					 { .fd = c->brk, .events = POLLIN } };
		uint64_t v;
		int n, left = -1;

		if (count > 0) {
			if ((long)(c->received - start) >= count)
				break;
			left = (int)(count - (long)(c->received - start));
		}
		n = poll(pfd, 2, POLL_MS);
		if (n < 0 && errno != EINTR) {
			ret = nsnet_err_set(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN)) {
			if (read(c->brk, &v, sizeof(v)) < 0) {
				/* nothing: the eventfd only wakes us */
			}
			break;
		}
		if (n > 0 && (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))) {
			int e = 0;
			socklen_t el = sizeof(e);

			/* ENETDOWN: taken down (goes on when up again) or deleted */
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (!iface_alive(c)) {
				ret = nsnet_err_set(err, -ENODEV, "interface \"%s\" went away",
						    c->ifname);
				break;
			}
			if (!(pfd[0].revents & POLLIN))
				continue;
		}
		if (!ns_alive(c)) {
			ret = nsnet_err_set(err, -ENODEV, "namespace \"%s\" was deleted", c->ns);
			break;
		}
		if (n == 0 && !iface_alive(c)) {
			ret = nsnet_err_set(err, -ENODEV, "interface \"%s\" went away", c->ifname);
			break;
		}
		n = pcap_dispatch(c->p, left, on_packet, (u_char *)c);
		if (c->stop) {
			ret = c->stop;
			break;
		}
		if (n == PCAP_ERROR) {
			ret = nsnet_err_set(err, iface_alive(c) ? -EIO : -ENODEV, "%s: %s", c->ifname,
					    pcap_geterr(c->p));
			break;
		}
	}
	c->fn = NULL;
	c->err = NULL;
	return ret < 0 ? ret : (long)(c->received - start);
}

void nsnet_capture_break(struct nsnet_capture *c)
{
	uint64_t one = 1;

	if (c && write(c->brk, &one, sizeof(one)) < 0) {
		/* counter full: a break is pending anyway */
	}
}

void nsnet_capture_stats(struct nsnet_capture *c, unsigned long *received,
			 unsigned long *dropped)
{
	struct pcap_stat st;

	if (received)
		*received = c->received;
	if (dropped)
		*dropped = c->p && pcap_stats(c->p, &st) == 0 ? st.ps_drop : 0;
}

void nsnet_capture_close(struct nsnet_capture *c)
{
	if (!c)
		return;
	if (c->dump)
		pcap_dump_flush(c->dump);	/* pcap_dump_close would fclose the caller's FILE */
	if (c->p)
		pcap_close(c->p);
	if (c->brk >= 0)
		close(c->brk);
	free(c);
}
