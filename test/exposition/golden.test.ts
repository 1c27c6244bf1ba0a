// Golden-file tests: the encoders' exact output for every family type, checked against reviewed files and real consumers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeOpenMetrics, encodeOpenMetricsChunks } from '../../src/exposition/openmetrics.js';
import { encodeText, encodeTextChunks } from '../../src/exposition/text.js';
import { parseOpenMetrics, parseText } from '../../src/testing/parse.js';
import {
  assertPromtoolClean,
  parseOpenMetrics as pythonOpenMetrics,
  parseText as pythonText,
} from '../helpers/index.js';
import { asPython } from './consumers.js';
import { GOLDEN_FAMILIES } from './golden-families.js';

// Hand-reviewed files. There is deliberately no update mode: a change to the output means
// editing the golden file by hand and reviewing the diff.
const golden = (name: string) =>
  readFileSync(new URL(`../golden/${name}`, import.meta.url), 'utf8');
const TEXT = golden('exposition.prom');
const OM = golden('exposition.om.txt');
const OM_CREATED = golden('exposition.created.om.txt');

describe('golden files', () => {
  it('text 0.0.4 output matches exposition.prom exactly', () => {
    assert.equal(encodeText(GOLDEN_FAMILIES), TEXT);
  });

  it('OpenMetrics output matches exposition.om.txt exactly (created off)', () => {
    assert.equal(encodeOpenMetrics(GOLDEN_FAMILIES), OM);
    assert.equal(encodeOpenMetrics(GOLDEN_FAMILIES, { created: false }), OM);
  });

  it('OpenMetrics output matches exposition.created.om.txt exactly (created on)', () => {
    assert.equal(encodeOpenMetrics(GOLDEN_FAMILIES, { created: true }), OM_CREATED);
  });

  it('chunked output concatenates to the same bytes for any chunk size', () => {
    for (const chunkSize of [1, 7, 100, 4096, Number.POSITIVE_INFINITY]) {
      const text = [...encodeTextChunks(GOLDEN_FAMILIES, { chunkSize })];
      assert.equal(text.join(''), TEXT, `text, chunkSize ${chunkSize}`);
      const om = [...encodeOpenMetricsChunks(GOLDEN_FAMILIES, { chunkSize, created: true })];
      assert.equal(om.join(''), OM_CREATED, `openmetrics, chunkSize ${chunkSize}`);
      for (const c of [...text, ...om]) assert.ok(c.length > 0, 'no empty chunks');
    }
  });

  it('our strict parser accepts every golden file', () => {
    assert.equal(parseText(TEXT).length, GOLDEN_FAMILIES.length);
    assert.equal(parseOpenMetrics(OM).length, GOLDEN_FAMILIES.length);
    assert.equal(parseOpenMetrics(OM_CREATED).length, GOLDEN_FAMILIES.length);
  });

  it('promtool check metrics accepts the text golden with no findings', async () => {
    await assertPromtoolClean(TEXT);
  });

  it('Python prometheus_client reads the goldens exactly as our parser does', async () => {
    const [text] = await pythonText([TEXT]);
    assert.ok(text?.ok, JSON.stringify(text));
    assert.deepEqual(text.families, asPython(parseText(TEXT), 'text'));
    const om = await pythonOpenMetrics([OM, OM_CREATED]);
    for (const [i, body] of [OM, OM_CREATED].entries()) {
      const r = om[i];
      assert.ok(r?.ok, JSON.stringify(r));
      assert.deepEqual(r.families, asPython(parseOpenMetrics(body), 'openmetrics'));
    }
  });
});
