/*
 * xfer.h - the host end of a bulk TCP transfer, checksummed on the fly.
 *
 * The transfer case moves gigabytes between host and guest; nothing holds
 * them in memory.  A sender streams pseudo-random bytes (a seeded
 * xorshift generator, so the data is neither compressible nor repeated)
 * and hashes what it sent; a receiver hashes what it got.  Each runs in its
 * own thread with a deadline, so both directions go at once.
 *
 * The receiver reads exactly the announced number of bytes and then waits
 * for the peer to close; more or fewer bytes is an error.  Busybox nc on
 * the guest side does not half-close, which is why the byte count is given
 * up front rather than taken from EOF.
 */
#ifndef NICQ_XFER_H
#define NICQ_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfer;

#define XFER_REFUSED_NAMED 8

struct xfer_result {
	uint64_t bytes;		/* moved before the end or the error */
	double seconds;		/* connection established to done */
	char sha256[65];	/* of the bytes moved, lower-case hex */
	bool ok;		/* all bytes moved, peer behaved */
	bool stalled;		/* ended by the stall limit */
	unsigned refused;	/* receiver: clients other than the peer,
				 * closed at once */
	char refused_from[XFER_REFUSED_NAMED * 24];	/* "ip:port ..." of
				 * the first XFER_REFUSED_NAMED of them */
	char err[256];		/* why not, when !ok */
	/* receiver with a backlog (xfer_recv_start_backlog()): what the
	 * socket held unread when reading went on, and how long it waited */
	uint64_t backlog_bytes;
	int backlog_ms;
};

/*
 * Connect to ip:port (retrying until the deadline, since the guest's
 * listener may not be up yet) and send `bytes` bytes from generator seed
 * `seed`, then close.  timeout_ms bounds the whole transfer; stall_ms (0:
 * none) ends it early once connected if no byte moves for that long.
 */
int xfer_send_start(const char *ip, int port, uint64_t bytes, uint64_t seed,
		    int timeout_ms, int stall_ms, struct xfer **out,
		    char *err);

/*
 * Listen on bind_ip:port (port 0: any; see xfer_port) and take the first
 * connection; read `bytes` bytes.  Deadline and stall limit as above (the
 * stall clock starts at the connection).
 */
int xfer_recv_start(const char *bind_ip, int port, uint64_t bytes,
		    int timeout_ms, int stall_ms, struct xfer **out,
		    char *err);
/*
 * The same, taking the transfer from peer_ip alone (the guest; NULL: from
 * anyone): a connection from any other address is closed at once and
 * counted in the result's refused / refused_from, and the receiver waits
 * on for the peer.  --connect mode binds in the host's own namespace,
 * where anyone on the host may connect.
 */
int xfer_recv_start_from(const char *bind_ip, const char *peer_ip, int port,
			 uint64_t bytes, int timeout_ms, int stall_ms,
			 struct xfer **out, char *err);

/*
 * The same, holding its reading once, after backlog_at bytes: until the
 * socket's unread data stops growing for 150 ms (the window is shut and
 * the sender's data waits in its own send queue), at most 3 s.  A sender
 * whose application writes 1 KiB at a time (busybox nc) onto a path that
 * drains as fast hands its NIC a segment per write; a queue behind a shut
 * window is what makes its TCP build TSO super-frames, so the offload case
 * needs one to see them (with seven guests on 2 cores a whole transfer
 * once went out in 1 KiB segments).  result.backlog_bytes says what was
 * held.
 */
int xfer_recv_start_backlog(const char *bind_ip, const char *peer_ip,
			    int port, uint64_t bytes, uint64_t backlog_at,
			    int timeout_ms, int stall_ms, struct xfer **out,
			    char *err);

/* The listening port of a receiver (0 for a sender). */
int xfer_port(const struct xfer *x);

/* Bytes moved so far, while the transfer runs (0 for NULL). */
uint64_t xfer_progress(const struct xfer *x);

/* Wait for the end and fill *res; then free.  NULL is fine (res->ok false). */
void xfer_finish(struct xfer *x, struct xfer_result *res);

/*
 * The SHA-256 (lower-case hex) of the first n bytes a sender with seed
 * sends (xfer_send_start): what a receiver that got n bytes of the stream
 * intact must have hashed, whether or not the transfer completed.  The
 * stream is regenerated in chunks, nothing held.
 */
void xfer_prefix_sha256(uint64_t seed, uint64_t n, char out[65]);

/* The generator's bytes, for tests: fill buf from state *s. */
void xfer_fill(uint64_t *s, unsigned char *buf, size_t len);

#endif
