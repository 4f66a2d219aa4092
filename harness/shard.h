/*
 * shard.h - splitting a run's matrix over hosts (nicq run --shard I/N).
 *
 * The matrix is the run's points in matrix order (cells x cases, as
 * run.json's planned lists them); shard I of N runs one contiguous block of
 * it.  The blocks are balanced by weight - a point's deadline, which the
 * profile scales with what the case does (a pxe or a throughput point
 * weighs several pings) - and a point that never runs anywhere (a case
 * limited to another model, vhost=on for a model without vhost) weighs
 * nothing.  Contiguous rather than round-robin because a run boots each
 * guest shape once and restores it for every point of that shape
 * (harness/states.h), and a cell's points share their model's shapes: a
 * block keeps a cell on one host (at most the two cells at its edges are
 * split), so each host boots only its cells' shapes, where round-robin
 * would make every host boot every cell's.
 *
 * The split depends only on the weights, so every host of a fleet that
 * runs the same options and profile computes the same blocks, whatever it
 * can run itself (a host without vhost-net weighs vhost=on points as one
 * with it does).  nicq merge (harness/merge.h) joins the shards' folders.
 */
#ifndef NICQ_SHARD_H
#define NICQ_SHARD_H

#define SHARD_MAX 1000

struct shard {
	int index;	/* 1..count */
	int count;	/* 0: the run is not sharded */
};

/* Parse "I/N" (1 <= I <= N <= SHARD_MAX).  -1 with err. */
int shard_parse(const char *s, struct shard *out, char *err);

/*
 * Split n points of these weights (>= 0) into count contiguous blocks of
 * about equal weight: out[k] is point k's shard, 1..count, non-decreasing
 * in k.  A point goes to the shard its weight's middle falls in (the lower
 * one when it falls on a boundary: one point of two shards is shard 1's);
 * with no weight at all, every point weighs 1.
 */
void shard_split(const int *weight, int n, int count, int *out);

#endif
