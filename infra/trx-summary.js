#!/usr/bin/env node
// Counts test outcomes across the TRX files in a folder and prints "N passed, N failed" (plus skipped when any).
// Exit code: 0 when every test passed and at least one ran; 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
const failures = [];
for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  if (!f.endsWith('.trx')) continue;
  const xml = fs.readFileSync(path.join(dir, f), 'utf8');
  for (const m of xml.matchAll(/<UnitTestResult\b[^>]*>/g)) {
    const outcome = /outcome="([^"]+)"/.exec(m[0]);
    const name = /testName="([^"]+)"/.exec(m[0]);
    switch (outcome && outcome[1]) {
      case 'Passed': passed++; break;
      case 'NotExecuted': skipped++; break;
      default: failed++; failures.push(`${f}: ${name ? name[1] : '?'} (${outcome ? outcome[1] : 'no outcome'})`);
    }
  }
}
// Projects whose test run failed (exit code) although none of their recorded results failed: a crash or a hang.
const brokenProjects = Number(process.argv[3] || 0);
if (failed === 0 && brokenProjects > 0) {
  failed = brokenProjects;
  failures.push(`${brokenProjects} test project(s) failed without a failing result (crash or hang; see the log above)`);
}
for (const x of failures) console.log('FAILED ' + x);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed === 0 && passed > 0 ? 0 : 1);
