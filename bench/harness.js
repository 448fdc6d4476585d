// Timing helpers for the benchmarks: the library's own (medians over several runs, Markdown
// tables). Build first: npx tsc -p .
'use strict';
const { medianMs, medianMsAsync, printTable } = require('../lib/bench');

module.exports = { medianMs, medianMsAsync, printTable };
