/*
 * vlanhost.h - the host's end of an 802.1Q VLAN, without the 8021q module.
 *
 * The build machine's kernel has no 8021q (no VLAN devices) and its bridges
 * have no VLAN filtering, so the host cannot terminate a VLAN the usual
 * way.  nicq does it in user space: two tap devices that nicq creates and
 * owns,
 *
 *   host tap  - carries the host's address on the VLAN's subnet; the host
 *               stack sends and receives plain, untagged Ethernet on it;
 *   port tap  - a port of the segment's bridge, with no address;
 *
 * and a relay thread between them.  A frame the host stack sends on the
 * host tap gets an 802.1Q tag with the VLAN's id inserted after its MAC
 * addresses and goes out on the port tap into the bridge; a frame the
 * bridge sends to the port tap that carries that VLAN id (outer tag, TPID
 * 0x8100) loses its tag and reaches the host stack; anything else from the
 * bridge (untagged, another VID) is dropped and counted.  So ordinary tools
 * (ping, ping -f) talk to a guest's VLAN interface as if the host had a
 * VLAN device.
 *
 * The taps are not persistent: they vanish when nicq closes them, also
 * when nicq is killed, so nothing can be left behind.
 */
#ifndef NICQ_VLANHOST_H
#define NICQ_VLANHOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Insert an 802.1Q tag (TPID 0x8100, PCP 0, VID vid) after the 12 bytes of
 * MAC addresses of the Ethernet frame in[0..len).  Writes to out (cap
 * bytes) and returns the new length, or -1 when the frame is shorter than
 * an Ethernet header (14 bytes), vid is outside 1..4094 or out is too
 * small.
 */
ssize_t vlanhost_push(const uint8_t *in, size_t len, int vid, uint8_t *out,
		      size_t cap);

/*
 * The reverse: when in[0..len) carries an outer 802.1Q tag (TPID 0x8100)
 * with VID vid (priority bits ignored), write the frame without the tag to
 * out and return its length; -1 for an untagged frame, another VID, a
 * frame cut inside its tag, or out too small.
 */
ssize_t vlanhost_pop(const uint8_t *in, size_t len, int vid, uint8_t *out,
		     size_t cap);

/*
 * Create a tap device named name (at most 15 bytes) in nicq's network
 * namespace, Ethernet frames without packet information.  Returns its file
 * descriptor, or -1 with err (no /dev/net/tun, name taken).  The device
 * exists as long as the descriptor is open.
 */
int vlanhost_tap(const char *name, char *err);

struct vlanhost;

struct vlanhost_stats {
	uint64_t tagged;	/* host -> bridge frames, tag inserted */
	uint64_t untagged;	/* bridge -> host frames of the VID, tag
				 * removed */
	uint64_t dropped;	/* bridge -> host frames not of the VID */
	uint64_t errors;	/* failed reads or writes */
};

/*
 * Start relaying between host_fd (untagged side) and port_fd (tagged
 * side) for VLAN vid (1..4094).  Both descriptors must deliver and accept
 * one frame per read/write (taps, or SOCK_SEQPACKET sockets in tests);
 * they belong to the relay from this call on, whatever it returns, and are
 * closed by vlanhost_free().  The relay thread blocks every signal, so
 * SIGINT and SIGTERM keep going to nicq's main thread.
 */
int vlanhost_start(int host_fd, int port_fd, int vid, struct vlanhost **out,
		   char *err);

/* Counters so far (safe while the relay runs). */
void vlanhost_get_stats(struct vlanhost *v, struct vlanhost_stats *st);

/* Stop the relay, close both descriptors (the taps vanish).  NULL is fine. */
void vlanhost_free(struct vlanhost *v);

#endif
