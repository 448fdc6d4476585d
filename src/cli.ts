#!/usr/bin/env node
// Command line entry (`sshn`, see src/commands.ts). The library loads inside the try, so that a
// bad SSHN_BACKEND is reported like a mistyped option: one line, exit status 2.
try {
  (require('./commands') as typeof import('./commands')).run(process.argv.slice(2));
} catch (error) {
  const mistake = error instanceof Error && (error.name === 'UsageError' || /^sshn: SSHN_BACKEND/.test(error.message));
  if (!mistake) throw error;
  console.error(`${error.message.startsWith('sshn: ') ? '' : 'sshn: '}${error.message} (run 'sshn help' for usage)`);
  process.exitCode = 2;
}
