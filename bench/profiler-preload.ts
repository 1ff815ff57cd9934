import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * Loaded with `node --require` into every bench service when `BENCH_PROFILE_DIR` is set. The first SIGUSR2 starts V8's
 * CPU profiler, the next writes `<BENCH_PROFILE_DIR>/<BENCH_PROFILE_NAME>.cpuprofile`: the bench sends them around the
 * measured window, so a profile shows the service under load, not its start-up and module loading. A process that
 * exits while profiling writes what it has.
 */
const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  // A session in the process's own thread answers before `post` returns; the exit handler depends on that.
  const post = (method: string): unknown => {
    let answered = false;
    let answer: unknown;
    session.post(method, (error, result) => {
      if (error) throw error;
      answered = true;
      answer = result;
    });
    if (!answered) throw new Error(`inspector did not answer ${method} synchronously`);
    return answer;
  };
  const file = join(dir, `${process.env.BENCH_PROFILE_NAME ?? process.pid}.cpuprofile`);
  let profiling = false;
  const write = () => {
    profiling = false;
    const { profile } = post('Profiler.stop') as { profile: object };
    // Written whole, then renamed: the bench waits for the file's name to appear.
    writeFileSync(`${file}.partial`, JSON.stringify(profile));
    renameSync(`${file}.partial`, file);
  };
  post('Profiler.enable');
  process.on('SIGUSR2', () => {
    if (profiling) return write();
    post('Profiler.start');
    profiling = true;
  });
  process.on('exit', () => profiling && write());
}
