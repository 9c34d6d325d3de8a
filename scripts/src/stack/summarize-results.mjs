// Sums vitest JSON reports into the closing line "Tests: N passed, N failed" that CI reads.
// Usage: node summarize-results.mjs RESULTS_DIR FAILED_STEP_COUNT
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, failedStepsText = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load reports no failed test, so count it as one failure.
  failed += (report.testResults ?? []).filter(
    (suite) => suite.status === 'failed' && suite.assertionResults.length === 0,
  ).length;
}
// A step that failed before writing a report (type errors, lint) counts as one failure.
const failedSteps = Number(failedStepsText);
const reportsFailed = failed > 0;
if (failedSteps > 0 && !reportsFailed) failed += failedSteps;
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
