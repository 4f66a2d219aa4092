/*
 * merge.h - nicq merge: the shards of one matrix joined into one run.
 *
 * A fleet runs `nicq run --shard I/N` with the same options on N hosts
 * (harness/shard.h); each leaves a run folder whose run.json plans only
 * its own points, each with its position in the whole matrix.  Merging
 * makes a new run folder that reads as if one host had run the matrix:
 *
 *	<cell>/<case>/	every point's folder, copied from its shard (regular
 *			files and folders only: a symlink is not followed or
 *			copied); its result.json is the shard's, unchanged
 *			(its "dir" says where the point ran)
 *	run.json	the first shard's, with every shard's points in matrix
 *			order, the earliest start and the latest end, the
 *			worst exit status, the first bail out, and "merged":
 *			each shard's folder, host, accelerator and end
 *	run.tap		the TAP of the whole matrix, written from the points'
 *			result.json (cells and points numbered as one run's)
 *	results.json, junit.xml, report.html	as for a run (report.h)
 *	shards/<I>-of-<N>/	each shard's own run.json, run.tap and lab logs
 *
 * Refused, before anything is written (exit 2, one line): a folder that
 * is not a finished shard, shards whose nicq, QEMU or libvirt versions,
 * guest image, profile (name and every value), options (models, vhost,
 * cases, accelerator, TAP version, boot, faults) or shard count differ, a
 * shard given twice or missing, a matrix point in two shards or in none,
 * an OUT_DIR that exists and is not empty.
 */
#ifndef NICQ_MERGE_H
#define NICQ_MERGE_H

/*
 * Merge the n shard folders dirs into the new run folder out; argv is the
 * command line for run.json, junit a second place for junit.xml (or NULL).
 * Returns the merged run's exit status - 0 every point passed, skipped or
 * is a known defect, 1 a point failed, 3 a shard bailed out - or 2 with
 * err when refused, or -1 with err when reading or writing failed.
 */
int merge_runs(const char *out, const char *const *dirs, int n,
	       char **argv, const char *junit, char *err);

#endif
