/* xdp.c - see xdp.h. */
#include "xdp.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_INSNS 64
#define LOG_SIZE 8192

/* Frame offsets: Ethernet, then a 20-byte IPv4 header, then ICMP. */
#define OFF_ETYPE	12
#define OFF_VIHL	14
#define OFF_TOTLEN	16
#define OFF_FRAG	20
#define OFF_PROTO	23
#define OFF_ICMP	34
#define OFF_CSUM	(OFF_ICMP + 2)
#define OFF_WORD	(OFF_ICMP + 8 + XDP_CORRUPT_OFF)

/* A program being written; jumps to "pass" are patched at the end. */
struct prog {
	struct bpf_insn i[MAX_INSNS];
	int n;
	int to_pass[MAX_INSNS];
	int n_pass;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src,
		 int16_t off, int32_t imm)
{
	struct bpf_insn *in;

	if (p->n >= MAX_INSNS)
		return;		/* xdp_load checks p->n */
	in = &p->i[p->n++];
	memset(in, 0, sizeof(*in));
	in->code = code;
	in->dst_reg = dst;
	in->src_reg = src;
	in->off = off;
	in->imm = imm;
}

/* dst = *(size *)(src + off) */
static void ldx(struct prog *p, int size, int dst, int src, int off)
{
	emit(p, BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}

/* if (reg op imm) goto pass */
static void jmp_pass(struct prog *p, int op, int reg, int32_t imm)
{
	p->to_pass[p->n_pass++] = p->n;
	emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

/*
 * r2 = data, r3 = data_end; pass unless the frame holds need bytes and is
 * an untagged IPv4 (IHL 5) first fragment of an ICMP echo reply, code 0.
 */
static void match_reply(struct prog *p, int need)
{
	ldx(p, BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data));
	ldx(p, BPF_W, BPF_REG_3, BPF_REG_1,
	    offsetof(struct xdp_md, data_end));
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, need);
	p->to_pass[p->n_pass++] = p->n;
	emit(p, BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0, 0);
	/* 0x0800 in network order, loaded little-endian */
	ldx(p, BPF_H, BPF_REG_5, BPF_REG_2, OFF_ETYPE);
	jmp_pass(p, BPF_JNE, BPF_REG_5, 0x0008);
	ldx(p, BPF_B, BPF_REG_5, BPF_REG_2, OFF_VIHL);
	jmp_pass(p, BPF_JNE, BPF_REG_5, 0x45);
	ldx(p, BPF_B, BPF_REG_5, BPF_REG_2, OFF_PROTO);
	jmp_pass(p, BPF_JNE, BPF_REG_5, 1);
	/* the 13-bit fragment offset, flags masked off (little-endian) */
	ldx(p, BPF_H, BPF_REG_5, BPF_REG_2, OFF_FRAG);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_5, 0, 0, 0xff1f);
	jmp_pass(p, BPF_JNE, BPF_REG_5, 0);
	/* type 0 (echo reply) and code 0 */
	ldx(p, BPF_H, BPF_REG_5, BPF_REG_2, OFF_ICMP);
	jmp_pass(p, BPF_JNE, BPF_REG_5, 0);
}

/* Fold r8's carries into its low 16 bits (one's complement). */
static void fold(struct prog *p)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_8, 0, 0);
	emit(p, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_9, 0, 0, 16);
	emit(p, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_8, 0, 0, 0xffff);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_8, BPF_REG_9, 0, 0);
}

static void build(struct prog *p, enum xdp_fault kind, int pct)
{
	int i;

	if (kind == XDP_CORRUPT_REPLY) {
		match_reply(p, OFF_WORD + 2);
		/* the IP datagram must hold the word, not the padding */
		ldx(p, BPF_H, BPF_REG_5, BPF_REG_2, OFF_TOTLEN);
		emit(p, BPF_ALU | BPF_END | BPF_TO_BE, BPF_REG_5, 0, 0, 16);
		jmp_pass(p, BPF_JLT, BPF_REG_5,
			 OFF_WORD + 2 - OFF_VIHL);
		/*
		 * w -> ~w: the sum drops by 2w (~w is -w in one's
		 * complement), so the checksum, ~sum, grows by 2w.  The
		 * arithmetic holds in either byte order (RFC 1071), so
		 * both are used as loaded.
		 */
		ldx(p, BPF_H, BPF_REG_6, BPF_REG_2, OFF_WORD);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_6, 0,
		     0);
		emit(p, BPF_ALU64 | BPF_XOR | BPF_K, BPF_REG_7, 0, 0, 0xffff);
		emit(p, BPF_STX | BPF_MEM | BPF_H, BPF_REG_2, BPF_REG_7,
		     OFF_WORD, 0);
		ldx(p, BPF_H, BPF_REG_8, BPF_REG_2, OFF_CSUM);
		emit(p, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_8, BPF_REG_6, 0,
		     0);
		emit(p, BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_8, BPF_REG_6, 0,
		     0);
		fold(p);
		fold(p);
		emit(p, BPF_STX | BPF_MEM | BPF_H, BPF_REG_2, BPF_REG_8,
		     OFF_CSUM, 0);
	} else {
		match_reply(p, OFF_ICMP + 2);
		emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32);
		emit(p, BPF_ALU | BPF_MOD | BPF_K, BPF_REG_0, 0, 0, 100);
		jmp_pass(p, BPF_JGE, BPF_REG_0, pct);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP);
		emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	/* pass: */
	for (i = 0; i < p->n_pass; i++)
		p->i[p->to_pass[i]].off = (int16_t)(p->n - p->to_pass[i] - 1);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int xdp_load(enum xdp_fault kind, int pct, char *err)
{
	static const char license[] = "GPL";
	struct prog p = { .n = 0 };
	union bpf_attr a;
	char *log;
	int fd;

	if (kind == XDP_DROP_REPLY && (pct < 1 || pct > 100)) {
		err_set(err, "cannot load XDP program: share %d%% not in "
			"1..100", pct);
		return -1;
	}
	build(&p, kind, pct);
	if (p.n >= MAX_INSNS) {
		err_set(err, "cannot load XDP program: too long");
		return -1;
	}
	log = g_malloc0(LOG_SIZE);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(uintptr_t)p.i;
	a.insn_cnt = (uint32_t)p.n;
	a.license = (uint64_t)(uintptr_t)license;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = LOG_SIZE;
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		int e = errno;
		char *nl;

		/* the verifier's last line says why */
		g_strchomp(log);
		nl = strrchr(log, '\n');
		err_set(err, "cannot load XDP program: %s%s%s", strerror(e),
			*log ? ": " : "", nl ? nl + 1 : log);
	}
	g_free(log);
	return fd;
}

/* Append attribute type with len bytes of data at *off in buf. */
static void put_attr(char *buf, size_t *off, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr *na = (struct nlattr *)(buf + *off);

	na->nla_type = type;
	na->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(buf + *off + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(na->nla_len);
}

/* RTM_SETLINK ifname with IFLA_XDP { fd, SKB mode }; wait for the ack. */
static int set_xdp(const char *ifname, int fd, char *err)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} ans;
	struct timeval tv = { 5, 0 };
	uint32_t flags = XDP_FLAGS_SKB_MODE;
	size_t off = 0, nest;
	unsigned idx = if_nametoindex(ifname);
	int s, rc = -1;
	ssize_t n;

	if (!idx) {
		err_set(err, "cannot find '%s': %s", ifname, strerror(errno));
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_SETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)idx;
	nest = off;
	put_attr(req.attrs, &off, IFLA_XDP | NLA_F_NESTED, NULL, 0);
	put_attr(req.attrs, &off, IFLA_XDP_FD, &fd, sizeof(fd));
	put_attr(req.attrs, &off, IFLA_XDP_FLAGS, &flags, sizeof(flags));
	((struct nlattr *)(req.attrs + nest))->nla_len =
		(uint16_t)(off - nest);
	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.ifi)) + off);

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0) {
		err_set(err, "cannot open rtnetlink: %s", strerror(errno));
		return -1;
	}
	/* the kernel answers at once; the time-out is a bound, not a wait */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0) {
		err_set(err, "cannot set XDP on '%s': %s", ifname,
			strerror(errno));
		goto out;
	}
	n = recv(s, &ans, sizeof(ans), 0);
	if (n < 0) {
		err_set(err, "cannot set XDP on '%s': no answer: %s", ifname,
			strerror(errno));
		goto out;
	}
	if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    ans.nh.nlmsg_type != NLMSG_ERROR) {
		err_set(err, "cannot set XDP on '%s': unexpected answer",
			ifname);
		goto out;
	}
	{
		const struct nlmsgerr *e = NLMSG_DATA(&ans.nh);

		if (e->error) {
			err_set(err, "cannot set XDP on '%s': %s", ifname,
				strerror(-e->error));
			goto out;
		}
	}
	rc = 0;
out:
	close(s);
	return rc;
}

int xdp_attach(const char *ifname, int fd, char *err)
{
	return set_xdp(ifname, fd, err);
}

int xdp_detach(const char *ifname, char *err)
{
	return set_xdp(ifname, -1, err);
}

int xdp_test_run(int fd, const void *in, size_t len, void *out,
		 size_t out_size, size_t *out_len, uint32_t *action,
		 char *err)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)in;
	a.test.data_size_in = (uint32_t)len;
	a.test.data_out = (uint64_t)(uintptr_t)out;
	a.test.data_size_out = (uint32_t)out_size;
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) {
		err_set(err, "cannot test-run XDP program: %s",
			strerror(errno));
		return -1;
	}
	*out_len = a.test.data_size_out;
	*action = a.test.retval;
	return 0;
}
