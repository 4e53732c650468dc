'use strict';
/**
 * Preloaded (node --require) only with --cpu-prof. Nest's shutdown hook re-sends SIGTERM to
 * itself after closing, which would kill the process before V8 writes the .cpuprofile. With
 * this listener in place the process exits normally instead (and the profile is written).
 */
let seen = 0;
process.on('SIGTERM', () => {
  seen++;
  if (seen === 1) setTimeout(() => process.exit(0), 5_000);
  else process.exit(0);
});
