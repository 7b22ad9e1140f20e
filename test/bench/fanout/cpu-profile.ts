/**
 * Preloaded into the controller with `--cpu-prof-dir`: Node 20 refuses
 * `--cpu-prof` in NODE_OPTIONS, and the test helper that spawns the
 * controller fixes its command line, so the profile is taken through the
 * inspector instead and written when the process exits (open the
 * .cpuprofile in Chrome DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.PF_BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 200 us sampling: fine enough for per-frame costs, small enough for a few minutes of run.
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A same-thread inspector session answers synchronously, so this completes inside 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (err) process.stderr.write(`cpu profile failed: ${err.message}\n`);
      else writeFileSync(join(dir, `controller-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
