/*
 * xdp.h - faults that must act on what the guest sends BEFORE the host's
 * capture on its tap sees it.
 *
 * nicq captures on the tap with a packet socket.  For frames the guest
 * sends, the host receives them on the tap: __netif_receive_skb_core()
 * hands them to packet sockets (ptype_all) before tc ingress and the
 * nftables netdev ingress hook, so an nft rule can only change them after
 * the capture saw them whole (fault.h's ingress rules).  Generic XDP runs
 * earlier in that same function (do_xdp_generic, before the taps), so a
 * program attached to the tap in SKB mode changes a frame before the
 * capture sees it: to the capture, and to everything after it, it is what
 * the guest sent.  That is what a control needs to show that an analyzer
 * catches a guest that answers wrongly or not at all.
 *
 * The programs are a few raw eBPF instructions, loaded with bpf(2) and
 * attached with rtnetlink, so nicq needs no BPF compiler or libbpf.  They
 * act only on ICMP echo replies in untagged IPv4 frames (IHL 5), in the
 * first fragment (offset 0) of the datagram:
 *
 *   XDP_CORRUPT_REPLY  inverts the 16-bit word at ICMP payload bytes
 *		        20-21 of echo replies with at least 22 payload bytes
 *		        (past the 16 bytes iputils' ping keeps its time stamp
 *		        in) and corrects the ICMP checksum for it (RFC 1624),
 *		        so the reply is valid and only its payload differs
 *		        from the request's; ping counts it as received.
 *   XDP_DROP_REPLY     drops pct % of echo replies (bpf_get_prandom_u32).
 *
 * An attached program lives as long as its device, so a tap that goes
 * with its guest takes it along; xdp_detach() removes it before that.
 */
#ifndef NICQ_XDP_H
#define NICQ_XDP_H

#include <stddef.h>
#include <stdint.h>

enum xdp_fault { XDP_CORRUPT_REPLY, XDP_DROP_REPLY };

/* ICMP payload offset of the word XDP_CORRUPT_REPLY inverts. */
#define XDP_CORRUPT_OFF 20

/*
 * Load the program for kind (pct: XDP_DROP_REPLY's share, 1..100).
 * Returns its file descriptor, or -1 with err (the verifier's log when it
 * refused the program; EPERM without CAP_BPF and CAP_NET_ADMIN).
 */
int xdp_load(enum xdp_fault kind, int pct, char *err);

/*
 * Attach program fd to device ifname (in the calling thread's network
 * namespace) in SKB (generic) mode, replacing any program there.  The
 * device keeps its own reference: fd may be closed afterwards.  0, or -1
 * with err.
 */
int xdp_attach(const char *ifname, int fd, char *err);

/* Remove the SKB-mode program from ifname.  0, or -1 with err. */
int xdp_detach(const char *ifname, char *err);

/*
 * Run program fd once on a frame (BPF_PROG_TEST_RUN), for tests: out
 * (out_size bytes) gets the frame as the program left it, *out_len its
 * length, *action the XDP action (1 drop, 2 pass).  0, or -1 with err.
 */
int xdp_test_run(int fd, const void *in, size_t len, void *out,
		 size_t out_size, size_t *out_len, uint32_t *action,
		 char *err);

#endif
