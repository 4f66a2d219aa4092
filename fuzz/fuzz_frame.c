/*
 * fuzz_frame - frame_parse() (harness/frame.c), the one Ethernet/VLAN/IPv4
 * header parser every analyzer uses.  The first two bytes add to the wire
 * length (a caplen above it is a case the parser must refuse); the rest is
 * the captured frame.
 */
#include "frame.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_info f;
	enum frame_status st;
	size_t cap, wire;
	uint8_t *copy;

	if (size < 2)
		return 0;
	cap = size - 2;
	wire = cap + frame_rd16(data) - 0x100;	/* below cap too */
	if (frame_rd16(data) < 0x100 && cap < 0x100 - frame_rd16(data))
		wire = 0;
	/* an exact-size heap copy: ASan sees any read past caplen */
	copy = malloc(cap ? cap : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 2, cap);
	st = frame_parse(copy, cap, wire, &f);
	FUZZ_CHECK(st == FRAME_OK || st == FRAME_TRUNCATED ||
		   st == FRAME_MALFORMED);
	FUZZ_CHECK((st == FRAME_OK) == (f.problem == NULL));
	if (cap > wire)
		FUZZ_CHECK(st == FRAME_MALFORMED);
	if (st == FRAME_OK) {
		FUZZ_CHECK(f.l3_off >= 14 && f.l3_off <= cap);
		FUZZ_CHECK(f.l3_off == 14 + 4 * (size_t)f.n_tags);
		if (f.ipv4) {
			FUZZ_CHECK(f.ip.csum_ok);
			FUZZ_CHECK(f.ip.hdr_len >= 20 && f.ip.hdr_len <= 60);
			FUZZ_CHECK(f.l4_off == f.l3_off + f.ip.hdr_len);
			FUZZ_CHECK(f.l4_off <= cap);
			FUZZ_CHECK(f.l3_off + f.ip.tot_len <= wire);
			FUZZ_CHECK(f.ip.tot_len >= f.ip.hdr_len);
		}
	}
	if (f.ipv4)
		FUZZ_CHECK(f.ethertype == FRAME_ETHERTYPE_IPV4);
	free(copy);
	return 0;
}
