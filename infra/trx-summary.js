#!/usr/bin/env node
// Counts test outcomes across the TRX files in a folder and prints "N passed, N failed" (plus skipped when any).
// Each failure is printed just above that line with its message and the top of its stack trace, so the tail of a
// CI log is enough to see why a test failed.
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
  for (const m of xml.matchAll(/<UnitTestResult\b[^>]*?(?:\/>|>[\s\S]*?<\/UnitTestResult>)/g)) {
    const head = /^<UnitTestResult\b[^>]*>/.exec(m[0])[0];
    const outcome = /outcome="([^"]+)"/.exec(head);
    const name = /testName="([^"]+)"/.exec(head);
    switch (outcome && outcome[1]) {
      case 'Passed': passed++; break;
      case 'NotExecuted': skipped++; break;
      default:
        failed++;
        failures.push(`${f}: ${name ? name[1] : '?'} (${outcome ? outcome[1] : 'no outcome'})` + why(m[0]));
    }
  }
}
// The failure's message (at most 1,500 characters) and the first 6 lines of its stack trace, indented.
function why(result) {
  const text = (tag) => {
    const x = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(result);
    return x ? unescape(x[1]).trim() : '';
  };
  const message = text('Message').slice(0, 1500);
  const stack = text('StackTrace').split('\n').slice(0, 6).join('\n');
  return [message, stack].filter(Boolean).map(t => '\n' + t.replace(/^/gm, '    ')).join('');
}
function unescape(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&amp;/g, '&');
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
