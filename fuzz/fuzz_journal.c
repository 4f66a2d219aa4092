/*
 * fuzz_journal - point_journal_replay() (harness/point.c): the journal a
 * case's child process wrote, one JSON record a line, replayed into a
 * point, which is then judged and rendered as result.json would be.
 */
#include "fuzz.h"
#include "point.h"
#include "tap.h"

#include <json-glib/json-glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(0, data, size);
	struct point *p = point_new();
	char err[512];
	struct diag *d;

	point_set_identity(p, "ping", 2, "host pings the guest",
			   "virtio vhost=off", "virtio", false, "/nonexistent",
			   60);
	FUZZ_CHECK(point_journal_replay(p, path, err) >= 0);
	point_finish(p, 1000);
	point_verdict(p);
	point_reason(p);
	d = point_to_diag(p);
	diag_free(d);
	{
		JsonObject *o = point_to_json(p);
		JsonNode *n = json_node_new(JSON_NODE_OBJECT);
		char *text;

		json_node_take_object(n, o);
		text = json_to_string(n, TRUE);
		FUZZ_CHECK(text != NULL);
		g_free(text);
		json_node_unref(n);
	}
	point_free(p);
	return 0;
}
