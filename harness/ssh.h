/*
 * ssh.h - guest control over SSH (libssh).
 *
 * Each run makes one ephemeral ed25519 identity (ssh_ident), or keeps one
 * next to its saved guest states (ssh_ident_load); its public key
 * goes to the guests on the kernel command line.  A guest announces its
 * host key's SHA-256 (hex of the digest of the key blob) in its readiness
 * marker on the serial console; sshc_connect() pins that key and refuses any
 * other.  There is no "accept any host key" mode.  Only ssh-ed25519 host
 * keys are negotiated, so the guest must have one and announce that one.
 *
 * Every call is bounded in time: connect, channel setup and every command
 * have a deadline on CLOCK_MONOTONIC, and every wait also stops when
 * interrupted() turns true.  Nothing reads ~/.ssh or ssh_config.
 *
  * When a transcript is set (transcript.h), each command is appended to it with its
 * exit status, timings, stdin size, stdout and stderr.
 *
 * A command's stdout and its stderr are each kept up to SSH_OUTPUT_MAX
 * bytes, foreground or background; the rest is taken off the channel and
 * dropped, and res->out_cut (err_cut) says so (util.h, struct
 * proc_result), as does the transcript ("output truncated at N bytes").
 */
#ifndef NICQ_SSH_H
#define NICQ_SSH_H

#include <stddef.h>
#include "util.h"

/*
 * The most kept of one stream of one guest command.  The largest a case
 * asks for is offload's "base64 /tmp/f" of its 10 MiB file: 14.2 MB of
 * base64 text (76-column lines); the next are captures fetched as base64
 * (offload's guest capture with a 96-byte snaplen: about 1.5 MB; multicast's:
 * KiB).  32 MiB leaves that room twice over.
 */
#define SSH_OUTPUT_MAX	(32u << 20)

struct ssh_ident;

int ssh_ident_new(struct ssh_ident **out, char *err);
/*
 * The identity kept in path (a private key file, 0600, ours, not a
 * symlink), made and written there first if there is none: guests saved by
 * an earlier run (harness/states.h) have its public key.
 */
int ssh_ident_load(const char *path, struct ssh_ident **out, char *err);
/* "ssh-ed25519 AAAA..." (no comment), owned by ident. */
const char *ssh_ident_pubkey(const struct ssh_ident *id);
void ssh_ident_free(struct ssh_ident *id);

struct sshc;

/*
 * Connect to host:port as root, retrying failed connections (refused,
 * unreachable, closed before the handshake finished) with a short backoff
 * until timeout_ms; verify the server key's SHA-256 equals hostkey_sha256
 * (64 hex digits) and authenticate with id.  A mismatching host key or a
 * refused login fails at once, without retrying; the mismatch message shows
 * both fingerprints.  id must outlive the sshc: background jobs log in
 * again with it.
 */
int sshc_connect(const char *host, int port, const char *hostkey_sha256,
		 const struct ssh_ident *id, int timeout_ms,
		 struct sshc **out, char *err);

/*
 * Append a record of every later command to t (NULL: none); t is not
 * owned and must outlive s.
 */
struct transcript;
void sshc_set_transcript(struct sshc *s, struct transcript *t);

/*
 * Run cmd (through root's shell on the guest, "sh -c" style) with stdin fed
 * from in/in_len (may be NULL/0; EOF follows), waiting at most timeout_ms
 * for channel setup and the command together.  Stdin is written while
 * output is read, so any size works both ways.  Fills res like spawn_run():
 * status is the remote exit status (or 128+signal; -1 if the channel closed
 * without one, or on timeout), timed_out/interrupted set when the deadline
 * or a signal cut it short.  Then the command is sent SIGKILL (an SSH
 * "signal" request, best effort: dropbear kills only the top process,
 * OpenSSH its process group) and its channel is closed; the session stays
 * usable.  out/errout keep what arrived; they may hold NUL bytes if the
 * command printed any.  Returns -1 on a transport failure (the session is
 * then dead: later calls fail at once) or when the server refused the
 * command.  Like spawn_run(), res is zeroed on entry, so it is always safe
 * to proc_result_clear() afterwards, whatever the call returned.
 */
int sshc_run(struct sshc *s, const char *cmd, const void *in, size_t in_len,
	     int timeout_ms, struct proc_result *res, char *err);

/*
 * Background commands: sshc_start() starts cmd with an empty stdin and
 * returns once the server has accepted it (at most timeout_ms; timing out
 * is an error here).  Each job runs on an SSH connection of its own, opened
 * and logged in like the first one (a handshake per job): dropbear before
 * 2024.86 can kill a connection when one of its commands ends while another
 * channel is being set up there.  A job's output is collected in memory
 * while other calls on the sshc run.  sshc_job_wait() collects it like
 * sshc_run(): at most timeout_ms, then the job is killed and marked
 * timed_out.  A job can be waited for once.  Several jobs may run at once;
 * all calls must come from one thread.
 */
struct sshc_job;
int sshc_start(struct sshc *s, const char *cmd, int timeout_ms,
	       struct sshc_job **out, char *err);
int sshc_job_wait(struct sshc_job *job, int timeout_ms, struct proc_result *res,
		  char *err);
/*
 * Free a job, waited for or not.  A job still running is sent SIGKILL (best
 * effort) and its channel closed without waiting.  NULL is fine.
 */
void sshc_job_free(struct sshc_job *job);

/*
 * Close the session.  Jobs not yet freed are killed and detached: they must
 * still be freed with sshc_job_free(), and waiting for them fails.
 */
void sshc_free(struct sshc *s);

#endif
