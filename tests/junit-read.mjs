#!/usr/bin/env node
// junit-read.mjs - read a run folder's junit.xml with node's junit2json
// (pinned in tests/package.json), a JUnit reader nicq did not write, and
// check it against the run's results.json.
//
//   node tests/junit-read.mjs RUN_DIR [RUN_DIR...]
//
// Checks: one testsuite per cell with the cell's name and counts (tests,
// failures = fail, errors = interrupted + not_run, skipped = skip + known);
// one testcase per planned point, in order, with its name, classname and
// time; the outcome element junit2json finds (failure, error, skipped or
// none) is the one the point's status maps to; system-out is there exactly
// when the point has a result; the totals on <testsuites> add up.
// Prints one line per run folder; exits 1 on a mismatch, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'junit2json';

const OUTCOME = {
  pass: null, fail: 'failure', known: 'skipped', skip: 'skipped',
  interrupted: 'error', not_run: 'error',
};

async function checkRun(dir) {
  const problems = [];
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const out = await parse(readFileSync(join(dir, 'junit.xml'), 'utf8'));
  const suites = out.testsuite ?? [];
  const cells = res.cells;
  let n = 0;
  if (suites.length !== cells.length) {
    problems.push(`${suites.length} testsuites, ${cells.length} cells`);
    return [problems, 0];
  }
  const tot = { tests: 0, failures: 0, errors: 0 };
  suites.forEach((s, i) => {
    const c = cells[i];
    const k = c.counts;
    const want = {
      name: c.name, tests: c.points.length, failures: k.fail,
      errors: k.interrupted + k.not_run, skipped: k.skip + k.known,
    };
    for (const [key, v] of Object.entries(want)) {
      if (s[key] !== v) problems.push(`${c.name}: ${key} ${s[key]}, want ${v}`);
    }
    tot.tests += want.tests;
    tot.failures += want.failures;
    tot.errors += want.errors;
    const cases = s.testcase ?? [];
    if (cases.length !== c.points.length) {
      problems.push(`${c.name}: ${cases.length} testcases`);
      return;
    }
    cases.forEach((t, j) => {
      const p = c.points[j];
      const where = `${c.name} ${p.case}`;
      n++;
      if (t.name !== p.case) problems.push(`${where}: name ${t.name}`);
      if (t.classname !== `nicq.${c.slug}`) problems.push(`${where}: classname ${t.classname}`);
      if (Math.abs(t.time - (p.duration_ms ?? 0) / 1000) > 0.0015) {
        problems.push(`${where}: time ${t.time}, duration ${p.duration_ms} ms`);
      }
      const found = ['failure', 'error', 'skipped'].filter((e) => t[e]);
      const wanted = OUTCOME[p.status];
      if (found.length !== (wanted ? 1 : 0) || (wanted && found[0] !== wanted)) {
        problems.push(`${where}: ${p.status}, junit2json finds ${JSON.stringify(found)}`);
      }
      // the message is the point's reason on one line (cut at 1000 bytes)
      const msg = wanted && found[0] === wanted ? t[wanted][0].message : undefined;
      const reason = p.status === 'known' ? `known defect (TAP # TODO): ${p.reason}` : p.reason;
      if (wanted && found[0] === wanted && msg !== reason
          && !(reason.length > 1000 && msg.endsWith('...'))) {
        problems.push(`${where}: message ${JSON.stringify(msg)}, reason ${JSON.stringify(reason)}`);
      }
      const hasOut = Array.isArray(t['system-out']) && t['system-out'].length > 0;
      if (hasOut !== (p.result !== null)) {
        problems.push(`${where}: system-out ${hasOut}, result ${p.result !== null}`);
      }
      if (hasOut && !t['system-out'][0].startsWith(`case: ${p.case}\n`)) {
        problems.push(`${where}: system-out does not start with the case's YAML`);
      }
    });
  });
  for (const [key, v] of Object.entries(tot)) {
    if (out[key] !== v) problems.push(`testsuites: ${key} ${out[key]}, want ${v}`);
  }
  return [problems, n];
}

if (process.argv.length < 3) {
  console.error('usage: node tests/junit-read.mjs RUN_DIR [RUN_DIR...]');
  process.exit(2);
}
let bad = 0;
for (const dir of process.argv.slice(2)) {
  let problems;
  let n = 0;
  try {
    [problems, n] = await checkRun(dir);
  } catch (e) {
    problems = [`cannot read: ${e.message}`];
  }
  console.log(`junit-read (junit2json): ${dir}: ${n} testcases, ${problems.length} problems`);
  problems.slice(0, 30).forEach((p) => console.log(`  ${p}`));
  bad += problems.length;
}
process.exit(bad ? 1 : 0);
