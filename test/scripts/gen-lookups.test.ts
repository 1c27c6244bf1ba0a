// The generated lookup copies (src/metrics/lookup-copies.ts) are exactly what scripts/gen-lookups.mjs writes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

test('src/metrics/lookup-copies.ts is what scripts/gen-lookups.mjs generates (regenerating changes nothing)', () => {
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'gen-lookups.mjs');
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'gen-lookups: src/metrics/lookup-copies.ts is up to date\n');
  assert.equal(r.status, 0);
});
