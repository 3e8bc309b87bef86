// Prints one plain closing line, "tests: N passed, N failed, N skipped", after Jest's own summary, so a
// CI log states in one line what ran. A suite that could not run at all (a syntax error, a failing
// import) has no tests to count, so it counts as one failure here rather than vanishing.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
