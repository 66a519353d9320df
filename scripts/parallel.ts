/**
 * Runs npm scripts side by side, as many at a time as there are CPUs
 * (`npm test`: build, typecheck and lint; `npm run typecheck`: its four
 * checks). Each script's output is held and printed whole when it ends, so
 * nothing interleaves; every script runs to its end, and the exit code is 1
 * when any failed. ADR 0103, docs/stack-notes.md "CI time".
 *
 *   tsx scripts/parallel.ts build typecheck lint
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: tsx scripts/parallel.ts <npm script> ...');
  process.exit(2);
}
const slots = Math.max(1, Number(process.env.PARALLEL_JOBS) || availableParallelism());
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(name: string): Promise<boolean> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', name], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    const done = (ok: boolean, detail: string) => {
      process.stdout.write(`── npm run ${name}: ${detail} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      const text = Buffer.concat(out).toString('utf8');
      if (text.trim()) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      resolve(ok);
    };
    child.on('error', (e) => done(false, `could not start (${e.message})`));
    child.on('close', (code, signal) => done(code === 0, code === 0 ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`));
  });
}

const queue = [...names];
const results: boolean[] = [];
await Promise.all(
  Array.from({ length: Math.min(slots, names.length) }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) results.push(await run(name));
  }),
);
process.exit(results.every(Boolean) ? 0 : 1);
