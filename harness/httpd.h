/*
 * httpd.h - a tiny HTTP/1.1 file server for guests in the lab.
 *
 * Guests fetch files from the host with busybox "wget -c" (which resumes
 * with "Range: bytes=N-") and iPXE fetches its script and kernel over HTTP.
 * This server is just enough for both: GET and HEAD, the byte ranges they
 * send ("bytes=N-", "bytes=N-M"), Content-Length on every response,
 * and one request per connection ("Connection: close"), which both clients
 * handle and which keeps every connection's life easy to account for.
 *
 * Calling sequence: httpd_start() binds and listens before it returns, so a
 * guest may connect at once; add content with httpd_add_file() and
 * httpd_add_data() (before or while serving; adding a path again replaces
 * it); read httpd_stats() whenever; httpd_stop() at the end.
 *
 * Files are streamed from disk (opened anew for each request), never read
 * into memory, so they may be any size.  Each connection has its own thread;
 * httpd_stop() wakes every one of them, even mid-body or with a client that
 * stopped reading, joins them and frees everything.
 *
 * Responses: 200, 206 with Content-Range, 416 for a range that starts past
 * the end, 404 for unknown paths, 405 for methods other than GET and HEAD,
 * 400 for anything unparsable, including any other Range (multi-part or
 * suffix: a test lab wants to hear about such a client, not quietly serve
 * it the whole file), 500 when a file cannot be opened.  The URL path is
 * matched exactly, without percent-decoding; a query string is ignored.
 * IPv4 only.
 */
#ifndef NICQ_HTTPD_H
#define NICQ_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct httpd;

struct httpd_stats {
	uint64_t requests;	/* request headers received (any verdict) */
	uint64_t range_requests;	/* of which had a Range header */
	uint64_t bytes_sent;	/* body bytes, headers not counted */
	uint64_t completed;	/* responses sent to their last byte */
	uint64_t aborted;	/* responses cut short: client gone or
				 * stalled, or httpd_stop() */
	uint64_t refused;	/* clients closed at once: not the peer
				 * (httpd_start_from), or HTTPD_MAX_CONNS
				 * connections already open */
};

/*
 * Listen on bind_ip (NULL: every address) and port (0: any free port, see
 * httpd_port()) and start serving.  Nothing is served until content is
 * added.
 */
int httpd_start(const char *bind_ip, int port, struct httpd **out, char *err);

/*
 * The same, serving peer_ip alone (the guest; NULL: anyone): a client
 * from any other address is closed at once, counted in refused, and
 * logged ("refused IP:PORT: not the guest").  Either way at most
 * HTTPD_MAX_CONNS connections (one thread each) are open at a time;
 * more are refused the same way.
 */
#define HTTPD_MAX_CONNS 32
int httpd_start_from(const char *bind_ip, const char *peer_ip, int port,
		     struct httpd **out, char *err);

/* The port the server listens on. */
int httpd_port(const struct httpd *h);

/*
 * Serve the regular file file_path at url_path (which starts with '/').
 * The file must be readable now; it is opened again for every request, so
 * replacing it on disk changes what later requests get.
 */
int httpd_add_file(struct httpd *h, const char *url_path,
		   const char *file_path, char *err);

/* Serve a copy of len bytes at url_path, e.g. an iPXE script. */
int httpd_add_data(struct httpd *h, const char *url_path, const void *data,
		   size_t len, char *err);

/*
 * Throttle every body to bytes_per_s per connection (0: unlimited), so a
 * download lasts long enough for a test to disturb it.  Takes effect at once,
 * also for transfers under way.
 */
void httpd_set_rate(struct httpd *h, uint64_t bytes_per_s);

/*
 * Append one line per request to path (NULL: stop logging), e.g.
 * "GET /disk.img range=bytes=1000- 206 sent=4096 aborted"; "range=-" when
 * the request had none.  Fails if path cannot be opened for appending.
 */
int httpd_set_log(struct httpd *h, const char *path, char *err);

/*
 * A request is counted (and logged) before its connection is closed, so a
 * client that has read to EOF finds it here.
 */
void httpd_stats(const struct httpd *h, struct httpd_stats *st);

/*
 * Close the listener, cut every connection (mid-transfer ones are counted
 * and logged as aborted), join all threads and free h.  NULL is fine.
 */
void httpd_stop(struct httpd *h);

/*
 * The server's parsers, exposed for the unit tests and the fuzz targets;
 * a client's bytes reach nothing else.
 *
 * httpd_parse_request() splits a received header in place: buf is
 * NUL-terminated and must hold the blank line ("\r\n\r\n") that ends the
 * header, or the call fails.  On success *method and *path point into buf
 * (the path without its query string) and, when the request has a Range
 * header, *range too (the last one; untouched when there is none).
 * Returns -1, touching none of them, when the request line is not
 * "<method> /<path> HTTP/1.0" or "HTTP/1.1".
 *
 * httpd_parse_range() reads a Range value, "bytes=N-" or "bytes=N-M",
 * against a body of size bytes: 0 with *off and *len (the range clipped
 * to the body), 1 when it starts past the end, -1 for anything else.
 */
int httpd_parse_request(char *buf, char **method, char **path, char **range);
int httpd_parse_range(const char *v, uint64_t size, uint64_t *off,
		      uint64_t *len);

#endif
