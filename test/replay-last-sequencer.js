const Sequencer = require('@jest/test-sequencer').default;

/** The replay suite reads the histories every other suite left on the test server, so it runs last. */
class ReplayLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = [...tests].sort((a, b) => a.path.localeCompare(b.path));
    return [...sorted.filter((t) => !t.path.includes('/replay/')), ...sorted.filter((t) => t.path.includes('/replay/'))];
  }
}

module.exports = ReplayLastSequencer;
