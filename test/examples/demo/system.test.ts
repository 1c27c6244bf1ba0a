// The demo heartbeat's system sampler (examples/demo/system.ts): percentages in [0, 100], CPU over each sampler's own interval.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSystemSampler } from '../../../examples/demo/system.js';

test('a sampler returns percentages in [0, 100] and sees busy CPU between two calls', () => {
  const sample = createSystemSampler();
  const other = createSystemSampler();
  for (const s of [sample(), sample(), other(), other()]) {
    for (const v of [s.cpuPercent, s.memoryPercent]) {
      assert.equal(typeof v, 'number');
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 100, `${v} in [0, 100]`);
    }
    assert.ok(s.memoryTotalBytes > 0 && s.memoryFreeBytes <= s.memoryTotalBytes);
  }
  // Busy the CPU between two samples: the second sample sees a non-zero share.
  sample();
  const end = Date.now() + 50;
  while (Date.now() < end) {
    // spin
  }
  assert.ok(sample().cpuPercent > 0);
});
