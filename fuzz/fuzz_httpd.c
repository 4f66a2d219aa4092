/*
 * fuzz_httpd - the HTTP server's request and Range parsers
 * (harness/httpd.c).  The input is what a client sent, cut at the first
 * NUL as the server's reader sees it; the first 8 bytes are the body size
 * the Range is checked against.
 */
#include "fuzz.h"
#include "httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = NULL, *path = NULL, *range = NULL, *buf;
	uint64_t body = 0, off = 0, len = 0;
	int rc;

	if (size < 8)
		return 0;
	memcpy(&body, data, 8);
	if (body & 1)
		body %= 100000;	/* small bodies too */
	buf = fuzz_str(data + 8, size - 8);
	if (httpd_parse_request(buf, &method, &path, &range) == 0) {
		FUZZ_CHECK(method && path && path[0] == '/');
		FUZZ_CHECK(!strchr(path, '?'));
		if (range) {
			rc = httpd_parse_range(range, body, &off, &len);
			if (rc == 0)
				FUZZ_CHECK(len >= 1 && off < body &&
					   len <= body - off);
		}
	} else {
		FUZZ_CHECK(!method && !path && !range);
	}
	/* the Range parser alone, on the whole input */
	rc = httpd_parse_range(buf, body, &off, &len);
	if (rc == 0)
		FUZZ_CHECK(len >= 1 && off < body && len <= body - off);
	free(buf);
	return 0;
}
