// catalogDocs: the Markdown table of a catalog, byte for byte the reviewed golden file, the same for a YAML catalog.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { catalogDocs, defineMetrics, parseCatalog } from '../../src/catalog/index.js';
import { TelltaleError } from '../../src/metrics/index.js';
import { DOCS_CATALOG } from './fixture.js';

// Hand-reviewed, like the exposition goldens: no update mode; a change to the output means
// editing test/golden/catalog-docs.md by hand and reviewing the diff.
const GOLDEN = readFileSync(new URL('../golden/catalog-docs.md', import.meta.url), 'utf8');

describe('catalogDocs', () => {
  it('matches test/golden/catalog-docs.md exactly, every time', () => {
    assert.equal(catalogDocs(DOCS_CATALOG), GOLDEN);
    assert.equal(catalogDocs(DOCS_CATALOG), catalogDocs(DOCS_CATALOG));
  });

  it('gives the same bytes for the same catalog written in YAML', () => {
    const yaml = parseCatalog(`metrics:
  - name: http_requests_total
    type: counter
    help: HTTP requests handled.
    labels:
      method: { values: [GET, POST] }
      route: { help: "The route template, never the raw path." }
      outcome: { values: [ok, error, timeout] }
    slo: { errorRatio: { target: 0.999, label: outcome, values: [error, timeout] } }
    dashboard: { row: HTTP, title: Requests }
  - name: http_request_duration_seconds
    type: histogram
    unit: seconds
    help: HTTP request latency.
    labels: { method: { values: [GET, POST] } }
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5]
    slo: { latency: { threshold: 0.25, target: 0.99 } }
    dashboard: { row: HTTP }
  - { name: rpc_duration_seconds, type: histogram, unit: seconds, help: "RPC latency, native buckets only.", native: { schema: 3 } }
  - name: storage_operation_seconds
    type: histogram
    unit: seconds
    help: Storage operations | both bucket kinds.
    labels: { operation: { values: [get, put, delete], help: "The \`operation\` called." } }
    buckets: [0.001, 0.01, 0.1]
    native: {}
    dashboard: { row: Storage }
  - { name: queue_depth, type: gauge, help: Jobs waiting., slo: { saturation: { threshold: 1000 } }, dashboard: { row: Queue, title: Queue depth } }
  - { name: payload_bytes, type: summary, unit: bytes, help: Payload sizes., quantiles: [0.5, 0.99] }
`);
    assert.equal(catalogDocs(yaml), GOLDEN);
  });

  it('keeps each row one table row: line breaks, pipes and backticks in the text', () => {
    const odd = defineMetrics({
      a: {
        name: 'odd_total',
        type: 'counter',
        help: 'Line one\nline two | with a pipe.',
        labels: { kind: { values: ['a`b', '`', 'x|y'] } },
      },
    });
    assert.equal(
      catalogDocs(odd),
      [
        '| metric | type | unit | labels | meaning | objectives |',
        '|---|---|---|---|---|---|',
        '| `odd_total` | counter | — | `kind`: `` a`b ``, `` ` ``, `x\\|y` | Line one line two \\| with a pipe. | — |',
        '',
      ].join('\n'),
    );
  });

  it('refuses what is not a catalog', () => {
    assert.throws(
      () => catalogDocs({} as never),
      (e) =>
        e instanceof TelltaleError &&
        e.message ===
          'TT_INVALID_OPTION: catalogDocs: catalog must be a catalog from defineMetrics or parseCatalog',
    );
  });
});
