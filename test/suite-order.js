const Sequencer = require('@jest/test-sequencer').default;

/**
 * Unit suites first, so a broken pure function fails the run in seconds; the replay of this run's histories
 * last, because it reads what every other suite left on the test server.
 */
class SuiteOrder extends Sequencer {
  sort(tests) {
    const rank = (t) => (t.path.endsWith('this-run-histories.test.ts') ? 2 : t.context.config.displayName?.name === 'unit' ? 0 : 1);
    return [...tests].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  }
}

module.exports = SuiteOrder;
