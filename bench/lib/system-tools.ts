/**
 * Debian packages a benchmark compares against (pgbouncer, redis-server,
 * pgbench): installed here when missing and we are root, as `.ci/run` does
 * for the test suite's, so `npm run bench` on a clean machine prints every
 * row. Returns why not when it cannot.
 */
import { spawnSync } from 'node:child_process';

const installed = (bin: string) => {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
};

/** `binaries` maps a program to the Debian package that ships it. */
export function ensureDebianTools(binaries: Record<string, string>): { ok: true } | { ok: false; reason: string } {
  const missing = Object.entries(binaries).filter(([bin]) => !installed(bin));
  if (missing.length === 0) return { ok: true };
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (process.getuid?.() !== 0) return { ok: false, reason: `${missing.map(([b]) => b).join(', ')} missing (apt-get install -y ${packages.join(' ')})` };
  process.stderr.write(`bench: installing ${packages.join(' ')} (Debian)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { encoding: 'utf8', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { encoding: 'utf8', env });
  }
  const still = missing.filter(([bin]) => !installed(bin));
  return still.length === 0 ? { ok: true } : { ok: false, reason: `could not install ${packages.join(' ')}: ${(r.stderr || r.stdout).trim().slice(-300)}` };
}
