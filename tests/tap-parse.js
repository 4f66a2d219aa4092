#!/usr/bin/env node
// tap-parse.js - read a TAP file with node's tap-parser (tests/node_modules)
// and check what it makes of it against the counts tests/tap-consumers.sh
// took from the file's lines.
//
//   node tests/tap-parse.js FILE [--expect-ok true|false] [--top N]
//       [--top-fail N] [--points N] [--fail N] [--skip N] [--yaml N]
//       [--bail 0|1] [--perl-yaml PERL.json] [--json]
//
// Counts: --top and --top-fail are the top-level test points (one per cell)
// and how many are "not ok"; --points, --fail and --skip count test points
// at every level (subtest points and the points that close subtests);
// --yaml is the number of YAML diagnostic blocks, every one of which must
// parse.  --perl-yaml names a JSON list of the same blocks as prove's
// TAP::Parser::YAMLish read them; each must be the same data as tap-parser's
// (YAMLish keeps everything as text: a number must be written in decimal
// and equal in value, a bool must be true or false).
//
// Prints one summary line, then one line per mismatch, and exits 1 on any
// mismatch, 2 on bad usage.  --json prints the whole summary as JSON too.
'use strict';

const fs = require('fs');
const { Parser } = require('tap-parser');
const parserVersion = require('tap-parser/package.json').version;

function usage(msg) {
	process.stderr.write(`tap-parse: ${msg}\n`);
	process.exit(2);
}

function parseArgs(argv) {
	const opts = { file: null, expect: {}, perlYaml: null, json: false };
	const numeric = ['top', 'top-fail', 'points', 'fail', 'skip', 'yaml',
		'bail'];
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--json') {
			opts.json = true;
		} else if (a === '--expect-ok') {
			const v = argv[++i];
			if (v !== 'true' && v !== 'false')
				usage('--expect-ok takes true or false');
			opts.expect.ok = v === 'true';
		} else if (a === '--perl-yaml') {
			opts.perlYaml = argv[++i];
			if (!opts.perlYaml)
				usage('--perl-yaml needs a file');
		} else if (a.startsWith('--') && numeric.includes(a.slice(2))) {
			const v = argv[++i];
			if (!/^[0-9]+$/.test(v || ''))
				usage(`${a} takes a count`);
			opts.expect[a.slice(2)] = Number(v);
		} else if (!a.startsWith('--') && !opts.file) {
			opts.file = a;
		} else {
			usage(`unknown argument '${a}'`);
		}
	}
	if (!opts.file)
		usage('no TAP file given');
	return opts;
}

// Follow a parser and all its subtests: every assert in stream order, its
// diagnostics, and any line tap-parser could not read as TAP (YAML it could
// not parse lands there too).
function watch(parser, acc, depth) {
	parser.on('assert', a => {
		acc.points++;
		if (depth === 0)
			acc.top++;
		if (!a.ok && !a.todo) {
			acc.fail++;
			if (depth === 0)
				acc.topFail++;
		}
		if (a.skip)
			acc.skip++;
		if (a.diag) {
			// tap-parser takes a block's duration_ms as the point's
			// time (a TAP convention nicq follows); put it back to
			// compare the block whole with YAMLish's reading
			const d = a.diag;
			if (d.duration_ms === undefined &&
			    typeof a.time === 'number')
				d.duration_ms = a.time;
			acc.diags.push(d);
		}
	});
	parser.on('extra', line => acc.extra.push(String(line).trimEnd()));
	parser.on('child', child => {
		acc.subtests++;
		watch(child, acc, depth + 1);
	});
}

// tap-parser's YAML (YAML 1.2 types) against YAMLish's (everything text).
function same(js, pl) {
	if (js === null || js === undefined)
		return pl === null || pl === '~';
	switch (typeof js) {
	case 'number':
		if (typeof pl !== 'string')
			return false;
		if (Number.isNaN(js))
			return /^\.nan$/i.test(pl);
		if (!Number.isFinite(js))
			return pl === (js > 0 ? '.inf' : '-.inf');
		return /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(pl) &&
			Number(pl) === js;
	case 'bigint':
	case 'boolean':
		return pl === String(js);
	case 'string':
		return pl === js;
	case 'object':
		if (Array.isArray(js))
			return Array.isArray(pl) && pl.length === js.length &&
				js.every((v, i) => same(v, pl[i]));
		if (!pl || typeof pl !== 'object' || Array.isArray(pl))
			return false;
		{
			const a = Object.keys(js).sort();
			const b = Object.keys(pl).sort();
			return a.length === b.length &&
				a.every((k, i) => k === b[i] && same(js[k], pl[k]));
		}
	default:
		return false;
	}
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	let text;
	try {
		text = fs.readFileSync(opts.file, 'utf8');
	} catch (e) {
		usage(`cannot read '${opts.file}': ${e.message}`);
	}
	const acc = { points: 0, top: 0, fail: 0, topFail: 0, skip: 0,
		subtests: 0, diags: [], extra: [] };
	let version = null;
	const parser = new Parser();
	parser.on('version', v => { version = v; });
	watch(parser, acc, 0);
	parser.on('complete', results => report(opts, acc, version, results));
	parser.end(text);
}

function report(opts, acc, version, results) {
	const got = {
		ok: results.ok,
		bail: results.bailout === false ? 0 : 1,
		top: acc.top,
		'top-fail': acc.topFail,
		points: acc.points,
		fail: acc.fail,
		skip: acc.skip,
		yaml: acc.diags.length,
	};
	const problems = [];
	for (const [k, want] of Object.entries(opts.expect)) {
		if (got[k] !== want)
			problems.push(`${k}: expected ${want}, tap-parser says ${got[k]}`);
	}
	// tap-parser's own top-level tally must agree with what it emitted.
	if (results.count !== acc.top)
		problems.push(`complete.count ${results.count} != ${acc.top} top-level asserts`);
	for (const line of acc.extra)
		problems.push(`not read as TAP: ${JSON.stringify(line)}`);
	if (opts.perlYaml) {
		let perl;
		try {
			perl = JSON.parse(fs.readFileSync(opts.perlYaml, 'utf8'));
		} catch (e) {
			usage(`cannot read '${opts.perlYaml}': ${e.message}`);
		}
		if (perl.length !== acc.diags.length)
			problems.push(`YAML blocks: YAMLish read ${perl.length}, tap-parser ${acc.diags.length}`);
		const n = Math.min(perl.length, acc.diags.length);
		for (let i = 0; i < n; i++) {
			if (!same(acc.diags[i], perl[i]))
				problems.push(`YAML block ${i + 1} differs:\n    tap-parser: ${JSON.stringify(acc.diags[i])}\n    YAMLish:    ${JSON.stringify(perl[i])}`);
		}
	}

	const bail = results.bailout === false ? '' :
		`, bailed out (${results.bailout})`;
	process.stdout.write(`tap-parser ${parserVersion}: TAP version ${version ?? 'none'}, ` +
		`ok=${results.ok}, ${acc.top} top-level points ` +
		`(${acc.topFail} not ok), ${acc.points} points in all with ` +
		`${acc.subtests} subtests (${acc.fail} not ok, ${acc.skip} skipped), ` +
		`${acc.diags.length} YAML blocks${bail}\n`);
	if (opts.json)
		process.stdout.write(JSON.stringify({ parser: parserVersion,
			version, got, results, diags: acc.diags,
			extra: acc.extra }, null, 2) + '\n');
	for (const p of problems)
		process.stdout.write(`  MISMATCH ${p}\n`);
	process.exitCode = problems.length ? 1 : 0;
}

main();
