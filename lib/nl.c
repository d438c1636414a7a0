// SPDX-License-Identifier: MIT
/* rtnetlink socket per namespace, request batching, ACK + extended ACK collection. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "nsnet/netns.h"
#include "nsnet/nl.h"

#define BATCH_MAX	(60 * 1024)	/* bytes per sendmsg; SO_SNDBUF is set above it */
#define PENDING_MAX	512		/* ACKs per flush; fits SO_RCVBUF with room */
#define RCVBUF		(4 << 20)
#define RECV_BUF	(128 * 1024)
#define WHAT_LEN	120

struct pending {
	uint32_t seq;
	int failed;		/* error injected / recorded before sending */
	int ign[2];		/* errnos that count as success (nsnet_nl_ignore) */
	nsnet_nl_cb cb;
	void *data;
	char what[WHAT_LEN];
};

struct nsnet_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	char *buf;		/* batch */
	size_t cap, off;	/* capacity, end of finalized messages */
	struct nlmsghdr *cur;	/* message being filled, NULL if none */
	struct pending *pend;
	unsigned npend, pcap;
	struct nsnet_err sticky;	/* first error of an auto-flushed batch */
	char ctx[128];			/* prefix for request descriptions */
};

/* Sink for requests that are not sent (injected fault, no memory). */
static __thread char scratch[NSNET_NL_MSG_MAX + 256] __attribute__((aligned(8)));

static __thread char *recv_buf;
static pthread_key_t recv_key;
static pthread_once_t recv_once = PTHREAD_ONCE_INIT;

static void recv_key_init(void)
{
	pthread_key_create(&recv_key, free);
}

/* One receive buffer per thread, freed when the thread ends (a worker thread of down…). */
static char *get_recv_buf(void)
{
	if (!recv_buf) {
		recv_buf = malloc(RECV_BUF);
		pthread_once(&recv_once, recv_key_init);
		if (recv_buf)
			pthread_setspecific(recv_key, recv_buf);
	}
	return recv_buf;
}

/* ---- fault injection ------------------------------------------------------ */

static long fault_count;
static long fail_at = -1, crash_at = -1;
static int fault_init;

int nsnet_fault_point(void)
{
	long n;

	if (!fault_init) {
		const char *f = getenv("NSNET_FAIL_AT"), *c = getenv("NSNET_CRASH_AT");

		fail_at = f && *f ? strtol(f, NULL, 10) : -1;
		crash_at = c && *c ? strtol(c, NULL, 10) : -1;
		fault_init = 1;
	}
	if (fail_at < 0 && crash_at < 0)
		return 0;
	n = __atomic_add_fetch(&fault_count, 1, __ATOMIC_SEQ_CST);
	if (n == crash_at) {
		kill(getpid(), SIGKILL);
		/* the init of a PID namespace (nsnet sandbox) ignores its own SIGKILL */
		_exit(128 + SIGKILL);
	}
	if (n == fail_at)
		return -EIO;
	return 0;
}

/* ---- socket ----------------------------------------------------------------- */

static int open_here(struct nsnet_nl **out, struct nsnet_err *err)
{
	struct nsnet_nl *nl;
	int one = 1, rcv = RCVBUF, snd = BATCH_MAX + 4096, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk) {
		ret = nsnet_err_set(err, -errno, "cannot open rtnetlink socket: %s", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = nsnet_err_set(err, -errno, "cannot bind rtnetlink socket: %s", strerror(errno));
		goto fail;
	}
	/* Older kernels lack some of these; none is essential. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = 1;
	*out = nl;
	return 0;
fail:
	nsnet_nl_close(nl);
	return ret;
}

struct open_arg {
	struct nsnet_nl *nl;
	struct nsnet_err *err;
};

static int open_cb(void *p)
{
	struct open_arg *a = p;

	return open_here(&a->nl, a->err);
}

int nsnet_nl_open(struct nsnet_nl **out, int netns_fd, struct nsnet_err *err)
{
	struct open_arg a = { .err = err };
	int ret;

	*out = NULL;
	if (netns_fd < 0)
		return open_here(out, err);
	ret = nsnet_netns_call(netns_fd, open_cb, &a, err);
	if (ret < 0)
		return ret;
	*out = a.nl;
	return 0;
}

struct open_many {
	struct nsnet_nl **out;
	const int *fds;
	size_t n, done;
	struct nsnet_err *err;
};

/* On a throwaway thread (already in fds[0]): one socket per namespace, switching between them. */
static int open_many_cb(void *p)
{
	struct open_many *m = p;
	int ret = 0;

	for (; m->done < m->n; m->done++) {
		if (m->done) {
			if ((ret = nsnet_fault_point()) < 0)
				return nsnet_err_set(m->err, ret, "setns: injected fault");
			if (setns(m->fds[m->done], CLONE_NEWNET) < 0)
				return nsnet_err_set(m->err, -errno, "setns failed: %s",
						     strerror(errno));
		}
		ret = open_here(&m->out[m->done], m->err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int nsnet_nl_open_many(struct nsnet_nl **out, const int *netns_fd, size_t n,
		       struct nsnet_err *err)
{
	struct open_many m = { out, netns_fd, n, 0, err };
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (!n)
		return 0;
	ret = nsnet_netns_call(netns_fd[0], open_many_cb, &m, err);
	if (ret < 0) {
		for (i = 0; i < n; i++) {
			nsnet_nl_close(out[i]);
			out[i] = NULL;
		}
	}
	return ret;
}

void nsnet_nl_close(struct nsnet_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	free(nl->pend);
	free(nl);
}

int nsnet_nl_fd(const struct nsnet_nl *nl)
{
	return mnl_socket_get_fd(nl->sk);
}

void nsnet_nl_context(struct nsnet_nl *nl, const char *fmt, ...)
{
	va_list ap;

	nl->ctx[0] = '\0';
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(nl->ctx, sizeof(nl->ctx), fmt, ap);
	va_end(ap);
}

unsigned nsnet_nl_pending(const struct nsnet_nl *nl)
{
	return nl->npend;
}

/* ---- batching --------------------------------------------------------------- */

static void finalize_cur(struct nsnet_nl *nl)
{
	if (!nl->cur)
		return;
	nl->off += NLMSG_ALIGN(nl->cur->nlmsg_len);
	nl->cur = NULL;
}

static int send_and_collect(struct nsnet_nl *nl, struct nsnet_err *err);

struct nlmsghdr *nsnet_nl_req(struct nsnet_nl *nl, uint16_t type, uint16_t flags,
			      nsnet_nl_cb cb, void *data, const char *what, ...)
{
	struct pending *p;
	struct nlmsghdr *nlh;
	va_list ap;
	int fault;

	finalize_cur(nl);
	if (nl->npend >= PENDING_MAX || nl->off + NSNET_NL_MSG_MAX > BATCH_MAX) {
		struct nsnet_err e = { 0 };

		if (send_and_collect(nl, &e) < 0 && !nl->sticky.error)
			nl->sticky = e;
	}
	if (nl->npend == nl->pcap) {
		unsigned ncap = nl->pcap ? nl->pcap * 2 : 16;
		struct pending *np = realloc(nl->pend, ncap * sizeof(*np));

		if (!np)
			goto scratch_nomem;
		nl->pend = np;
		nl->pcap = ncap;
	}
	if (nl->off + NSNET_NL_MSG_MAX > nl->cap) {
		size_t ncap = nl->cap ? nl->cap * 2 : 8192;
		char *nb;

		while (ncap < nl->off + NSNET_NL_MSG_MAX)
			ncap *= 2;
		nb = realloc(nl->buf, ncap);
		if (!nb)
			goto scratch_nomem;
		nl->buf = nb;
		nl->cap = ncap;
	}
	p = &nl->pend[nl->npend++];
	p->seq = nl->seq++;
	p->failed = 0;
	p->ign[0] = p->ign[1] = 0;
	p->cb = cb;
	p->data = data;
	p->what[0] = '\0';
	if (what) {
		int n = nl->ctx[0] ? snprintf(p->what, sizeof(p->what), "%s: ", nl->ctx) : 0;

		if (n < 0 || (size_t)n >= sizeof(p->what))
			n = 0;
		va_start(ap, what);
		vsnprintf(p->what + n, sizeof(p->what) - (size_t)n, what, ap);
		va_end(ap);
	}
	fault = nsnet_fault_point();
	if (fault < 0) {
		/* Recorded as failed; the caller fills a scratch header that is never sent. */
		p->failed = fault;
		memset(scratch, 0, sizeof(struct nlmsghdr));
		nlh = mnl_nlmsg_put_header(scratch);
		nlh->nlmsg_type = type;
		return nlh;
	}
	memset(nl->buf + nl->off, 0, NSNET_NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(nl->buf + nl->off);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = p->seq;
	nl->cur = nlh;
	return nlh;

scratch_nomem:
	if (!nl->sticky.error)
		nsnet_err_set(&nl->sticky, -ENOMEM, "out of memory");
	nlh = mnl_nlmsg_put_header(scratch);
	nlh->nlmsg_type = type;
	return nlh;
}

int nsnet_nl_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN && nlh->nlmsg_len <= len;
}

/* Next message after @nlh; *len shrinks, and goes to 0 when nothing is left. */
static const struct nlmsghdr *next_msg(const struct nlmsghdr *nlh, size_t *len)
{
	size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

	*len = step < *len ? *len - step : 0;
	return (const void *)((const char *)nlh + step);
}

int nsnet_nl_parse_ack(const struct nlmsghdr *nlh, unsigned len, char *msg, unsigned msglen,
		       uint32_t *miss_type)
{
	const struct nlmsgerr *e;
	const struct nlattr *attr;
	size_t off, end;

	if (msg && msglen)
		msg[0] = '\0';
	if (len < NLMSG_HDRLEN + sizeof(*e) || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) ||
	    nlh->nlmsg_len > len)
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return e->error;
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	}
	end = nlh->nlmsg_len;
	off = NLMSG_ALIGN(off);
	while (off + sizeof(*attr) <= end) {
		unsigned alen, plen;

		attr = (const void *)((const char *)nlh + off);
		alen = attr->nla_len;
		if (alen < sizeof(*attr) || off + alen > end)
			break;
		plen = alen - sizeof(*attr);
		switch (attr->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			if (msg && msglen && plen) {
				const char *s = (const char *)attr + sizeof(*attr);
				unsigned n = strnlen(s, plen);

				if (n >= msglen)
					n = msglen - 1;
				memcpy(msg, s, n);
				msg[n] = '\0';
			}
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (miss_type && plen >= 4)
				memcpy(miss_type, (const char *)attr + sizeof(*attr), 4);
			break;
		}
		off += NLMSG_ALIGN(alen);
	}
	return e->error;
}

static void report(struct nsnet_err *err, const struct pending *p, int error, const char *kmsg,
		   uint32_t miss)
{
	if (!err || err->error)
		return;
	if (kmsg && strstr(kmsg, "Unknown device type"))
		nsnet_err_set(err, error, "this kernel does not support that link type (kernel: %s)",
			      kmsg);
	else if (kmsg && kmsg[0])
		nsnet_err_set(err, error, "%s (kernel: %s)", strerror(-error), kmsg);
	else if (miss)
		nsnet_err_set(err, error, "%s (kernel: missing attribute %u)", strerror(-error), miss);
	else
		nsnet_err_set(err, error, "%s", strerror(-error));
	if (p && p->what[0])
		nsnet_err_where(err, "%s", p->what);
}

static int send_and_collect(struct nsnet_nl *nl, struct nsnet_err *err)
{
	uint32_t first, last;
	unsigned i, acked = 0, nsent = 0;
	char *rb = get_recv_buf();
	int ret = 0;

	finalize_cur(nl);
	if (!nl->npend)
		return 0;
	first = nl->pend[0].seq;
	last = nl->pend[nl->npend - 1].seq;
	for (i = 0; i < nl->npend; i++) {
		if (nl->pend[i].failed) {
			if (!ret)
				report(err, &nl->pend[i], nl->pend[i].failed,
				       "injected fault (NSNET_FAIL_AT)", 0);
			ret = ret ? ret : nl->pend[i].failed;
			acked++;
		} else {
			nsent++;
		}
	}
	if (!rb) {
		ret = nsnet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (nsent && mnl_socket_sendto(nl->sk, nl->buf, nl->off) < 0) {
		int e = -errno;

		if (!ret)
			report(err, &nl->pend[0], e, NULL, 0);
		ret = ret ? ret : e;
		goto out;
	}
	while (acked < nl->npend) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, rb, RECV_BUF);
		const struct nlmsghdr *nlh;
		size_t len;

		if (n < 0) {
			int e = -errno;

			if (e == -EINTR)
				continue;
			/* ENOBUFS: ACKs were dropped; we cannot know the outcome. */
			if (!ret)
				nsnet_err_set(err, e, "netlink receive failed: %s", strerror(-e));
			ret = ret ? ret : e;
			goto out;
		}
		len = (size_t)n;
		for (nlh = (const void *)rb; nsnet_nl_msg_ok(nlh, len); nlh = next_msg(nlh, &len)) {
			struct pending *p;

			if (nlh->nlmsg_pid != nl->portid || nlh->nlmsg_seq < first ||
			    nlh->nlmsg_seq > last)
				continue;	/* not ours */
			p = &nl->pend[nlh->nlmsg_seq - first];
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				char kmsg[256];
				uint32_t miss = 0;
				int e = nsnet_nl_parse_ack(nlh, nlh->nlmsg_len, kmsg, sizeof(kmsg), &miss);

				acked++;
				if (e < 0 && (-e == p->ign[0] || -e == p->ign[1]))
					e = 0;
				if (e < 0 && !ret) {
					report(err, p, e, kmsg, miss);
					ret = e;
				}
			} else if (p->cb) {
				int e = p->cb(nlh, p->data);

				if (e < 0 && !ret) {
					report(err, p, e, NULL, 0);
					ret = e;
				}
			}
		}
	}
out:
	nl->off = 0;
	nl->npend = 0;
	/* Keep idle sockets small: a lab holds one per namespace. */
	free(nl->buf);
	nl->buf = NULL;
	nl->cap = 0;
	return ret;
}

void nsnet_nl_ignore(struct nsnet_nl *nl, int e1, int e2)
{
	if (!nl->npend)
		return;
	nl->pend[nl->npend - 1].ign[0] = e1;
	nl->pend[nl->npend - 1].ign[1] = e2;
}

int nsnet_nl_flush(struct nsnet_nl *nl, struct nsnet_err *err)
{
	int ret = send_and_collect(nl, err);

	if (nl->sticky.error) {
		if (err)
			*err = nl->sticky;
		ret = nl->sticky.error;
		nsnet_err_clear(&nl->sticky);
	}
	return ret;
}

int nsnet_nl_dump(struct nsnet_nl *nl, uint16_t type, const void *hdr, unsigned hdrlen,
		  nsnet_nl_cb cb, void *data, struct nsnet_err *err)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	char *rb = get_recv_buf();
	uint32_t seq;
	int ret;

	ret = nsnet_nl_flush(nl, err);
	if (ret < 0)
		return ret;
	if (!rb)
		return nsnet_err_set(err, -ENOMEM, "out of memory");
	if (hdrlen > sizeof(req) - NLMSG_HDRLEN)
		return nsnet_err_set(err, -EINVAL, "dump header too long");
	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = nl->seq++;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return nsnet_err_set(err, -errno, "netlink dump request failed: %s", strerror(errno));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, rb, RECV_BUF);
		const struct nlmsghdr *m;
		size_t len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nsnet_err_set(err, -errno, "netlink dump failed: %s", strerror(errno));
		}
		len = (size_t)n;
		for (m = (const void *)rb; nsnet_nl_msg_ok(m, len); m = next_msg(m, &len)) {
			if (m->nlmsg_pid != nl->portid || m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE) {
				/* NLM_F_DUMP_INTR: the set changed while dumping; what we
				 * saw is still a consistent superset for our callers. */
				if (m->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
					int e = *(const int *)mnl_nlmsg_get_payload(m);

					if (e < 0)
						return nsnet_err_set(err, e, "dump: %s", strerror(-e));
				}
				return 0;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				char kmsg[256];
				int e = nsnet_nl_parse_ack(m, m->nlmsg_len, kmsg, sizeof(kmsg), NULL);

				if (e < 0)
					return kmsg[0] ? nsnet_err_set(err, e, "dump: %s (kernel: %s)",
								       strerror(-e), kmsg)
						       : nsnet_err_set(err, e, "dump: %s", strerror(-e));
				continue;
			}
			if (cb) {
				ret = cb(m, data);
				if (ret < 0)
					return nsnet_err_set(err, ret, "dump: %s", strerror(-ret));
			}
		}
	}
}
