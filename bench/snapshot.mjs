// A snapshot of telltale's committed sources at one commit, for benchmarks that must not measure
// the working tree (others edit it during a run) or that measure an older commit side by side.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Extracts `src/` and the root `package.json` of `commit` (any name git accepts) into
 * `bench/node_modules/.telltale-snapshot/<12-hex commit>/` (ignored by git and Biome, and inside
 * the repository so the root's node_modules still resolve), once, and returns that directory and
 * the full commit. The package.json goes with it: Node looks for a file's package scope only up to
 * the nearest node_modules, so without it the snapshot's .ts files load as CommonJS (every
 * cross-module call through esbuild's export getters; protobuf encoding measured about 3× slower
 * than the same commit in the tree). Its export map also names the public subpaths.
 *
 * @param {string} root the repository root
 * @param {string} commit a commit, branch or tag
 * @returns {{ dir: string, commit: string }}
 */
export function telltaleSnapshot(root, commit) {
  const full = execFileSync('git', ['rev-parse', '--verify', `${commit}^{commit}`], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
  const dir = join(root, 'bench', 'node_modules', '.telltale-snapshot', full.slice(0, 12));
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    // src/ first, package.json last: its presence marks a complete snapshot.
    for (const path of ['src', 'package.json']) {
      execFileSync('sh', ['-c', `git archive ${full} ${path} | tar -x -C "${dir}"`], { cwd: root });
    }
  }
  if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type !== 'module') {
    throw new Error(`${dir}/package.json does not make src/ an ES module scope`);
  }
  return { dir, commit: full };
}
