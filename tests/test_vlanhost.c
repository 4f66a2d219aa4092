/* test_vlanhost.c - the host VLAN end: tag insertion/removal and the relay
 * thread, over SOCK_SEQPACKET pairs standing in for the two taps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "vlanhost.h"

/* dst, src, ethertype 0x0800, then payload bytes 0..n-1 */
static size_t eth_frame(uint8_t *buf, size_t n)
{
	size_t i;

	memset(buf, 0xaa, 6);
	memset(buf + 6, 0xbb, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (i = 0; i < n; i++)
		buf[14 + i] = (uint8_t)i;
	return 14 + n;
}

static void test_push_pop(void **state)
{
	uint8_t in[100], tagged[100], back[100];
	size_t len = eth_frame(in, 46);
	ssize_t t, b;

	(void)state;
	t = vlanhost_push(in, len, 20, tagged, sizeof(tagged));
	assert_int_equal(t, len + 4);
	assert_memory_equal(tagged, in, 12);
	assert_int_equal(tagged[12], 0x81);
	assert_int_equal(tagged[13], 0x00);
	assert_int_equal(tagged[14], 0);
	assert_int_equal(tagged[15], 20);
	assert_memory_equal(tagged + 16, in + 12, len - 12);
	b = vlanhost_pop(tagged, (size_t)t, 20, back, sizeof(back));
	assert_int_equal(b, len);
	assert_memory_equal(back, in, len);
	/* priority bits are ignored, the VID is not */
	tagged[14] = 0xe0;
	assert_int_equal(vlanhost_pop(tagged, (size_t)t, 20, back,
				      sizeof(back)), len);
	assert_int_equal(vlanhost_pop(tagged, (size_t)t, 21, back,
				      sizeof(back)), -1);
	/* VID 4095 is not 20 even though its low byte might match */
	tagged[14] = 0x0f;
	tagged[15] = 20;
	assert_int_equal(vlanhost_pop(tagged, (size_t)t, 20, back,
				      sizeof(back)), -1);
	/* untagged frames and a frame cut inside its tag are refused */
	assert_int_equal(vlanhost_pop(in, len, 20, back, sizeof(back)), -1);
	tagged[14] = 0;
	assert_int_equal(vlanhost_pop(tagged, 17, 20, back, sizeof(back)), -1);
	/* bad VIDs, short frames and small buffers */
	assert_int_equal(vlanhost_push(in, len, 0, tagged, sizeof(tagged)), -1);
	assert_int_equal(vlanhost_push(in, len, 4095, tagged, sizeof(tagged)),
			 -1);
	assert_int_equal(vlanhost_push(in, 13, 20, tagged, sizeof(tagged)), -1);
	assert_int_equal(vlanhost_push(in, len, 20, tagged, len + 3), -1);
	assert_int_equal(vlanhost_pop(tagged, (size_t)t, 20, back, len - 1),
			 -1);
}

static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1)
		return -1;
	return read(fd, buf, cap);
}

static void test_relay(void **state)
{
	int host[2], port[2];
	struct vlanhost *v = NULL;
	struct vlanhost_stats st;
	uint8_t f[200], got[200], tagged[200];
	size_t len = eth_frame(f, 60);
	char err[ERRLEN];
	struct pollfd p;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, host), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, port), 0);
	assert_int_equal(vlanhost_start(host[1], port[1], 20, &v, err), 0);

	/* host stack -> bridge: tagged */
	assert_int_equal(write(host[0], f, len), len);
	assert_int_equal(recv_wait(port[0], got, sizeof(got)), len + 4);
	assert_int_equal(vlanhost_push(f, len, 20, tagged, sizeof(tagged)),
			 len + 4);
	assert_memory_equal(got, tagged, len + 4);

	/* bridge -> host stack: VLAN 20 untagged, the rest dropped */
	assert_int_equal(write(port[0], f, len), len);	/* untagged */
	tagged[15] = 30;
	assert_int_equal(write(port[0], tagged, len + 4), len + 4);
	tagged[15] = 20;
	assert_int_equal(write(port[0], tagged, len + 4), len + 4);
	assert_int_equal(recv_wait(host[0], got, sizeof(got)), len);
	assert_memory_equal(got, f, len);
	/* nothing else arrives: the two others were dropped */
	p.fd = host[0];
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 200), 0);
	vlanhost_get_stats(v, &st);
	assert_int_equal(st.tagged, 1);
	assert_int_equal(st.untagged, 1);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.errors, 0);

	vlanhost_free(v);
	/* the relay closed its ends */
	assert_int_equal(read(host[0], got, sizeof(got)), 0);
	assert_int_equal(read(port[0], got, sizeof(got)), 0);
	close(host[0]);
	close(port[0]);
	vlanhost_free(NULL);
}

static void test_bad_start(void **state)
{
	int a[2], b[2];
	struct vlanhost *v = NULL;
	char err[ERRLEN] = "";

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, b), 0);
	assert_int_equal(vlanhost_start(a[1], b[1], 4095, &v, err), -1);
	assert_null(v);
	assert_non_null(strstr(err, "VLAN id 4095"));
	/* the descriptors were taken and closed even so */
	assert_int_equal(read(a[0], err, 1), 0);
	close(a[0]);
	close(b[0]);
	assert_int_equal(vlanhost_tap("a-name-far-too-long", err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pop),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_bad_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
