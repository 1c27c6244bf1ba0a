// catalogRules and catalogRuleTests: byte-stable rule files that promtool accepts, whose generated unit tests fire each alert on a broken objective and not on a met one.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { catalogRules, catalogRuleTests, defineMetrics } from '../../src/catalog/index.js';
import { TelltaleError } from '../../src/metrics/index.js';
import { checkRules, testRules } from '../helpers/promtool.js';
import { makeTempDir, removeTempDir } from '../helpers/tmp.js';
import { DOCS_CATALOG } from './fixture.js';

// Hand-reviewed like the other goldens: no update mode.
const RULES = fileURLToPath(new URL('../golden/catalog-rules.yml', import.meta.url));
const TESTS = fileURLToPath(new URL('../golden/catalog-rules.test.yml', import.meta.url));

describe('catalogRules', () => {
  it('matches the golden rule file and its golden unit tests exactly', () => {
    assert.equal(catalogRules(DOCS_CATALOG), readFileSync(RULES, 'utf8'));
    assert.equal(
      catalogRuleTests(DOCS_CATALOG, { ruleFile: 'catalog-rules.yml' }),
      readFileSync(TESTS, 'utf8'),
    );
  });

  it('promtool check rules accepts every rule, and promtool test rules passes', async () => {
    const check = await checkRules(RULES);
    assert.deepEqual(check, {
      exitCode: 0,
      stdout: `Checking ${RULES}\n  SUCCESS: 19 rules found\n\n`,
      stderr: '',
    });
    const test = await testRules(TESTS);
    assert.equal(test.exitCode, 0, `${test.stdout}${test.stderr}`);
    assert.equal(test.stdout, `Unit Testing:  ${TESTS}\n  SUCCESS\n\n`);
  });

  it('the generated tests bite: a rule file whose alerts are wrong fails them', async (t) => {
    const dir = await makeTempDir('catalog-rules');
    t.after(() => removeTempDir(dir));
    const rules = catalogRules(DOCS_CATALOG);
    const cases: [string, string][] = [
      ['severity', rules.replaceAll('severity: page', 'severity: critical')],
      ['threshold', rules.replace('queue_depth > 1000', 'queue_depth > 5000')],
      ['burn rate', rules.replaceAll('> 0.0144', '> 0.9').replaceAll('> 0.006', '> 0.9')],
    ];
    for (const [what, text] of cases) {
      writeFileSync(join(dir, 'rules.yml'), text);
      writeFileSync(
        join(dir, 'rules.test.yml'),
        catalogRuleTests(DOCS_CATALOG, { ruleFile: 'rules.yml' }),
      );
      const r = await testRules(join(dir, 'rules.test.yml'));
      assert.equal(r.exitCode, 1, `${what}: ${r.stdout}`);
    }
  });

  it('prefixes every metric with the registry prefix, and promtool still passes', async (t) => {
    const dir = await makeTempDir('catalog-rules');
    t.after(() => removeTempDir(dir));
    const rules = catalogRules(DOCS_CATALOG, { prefix: 'shop_', group: 'shop' });
    assert.ok(rules.includes('  - name: shop-slo\n'));
    assert.ok(rules.includes('record: job:shop_http_requests:error_ratio_rate5m\n'));
    assert.ok(rules.includes('expr: shop_queue_depth > 1000\n'));
    writeFileSync(join(dir, 'rules.yml'), rules);
    writeFileSync(
      join(dir, 'rules.test.yml'),
      catalogRuleTests(DOCS_CATALOG, { prefix: 'shop_', ruleFile: 'rules.yml' }),
    );
    const r = await testRules(join(dir, 'rules.test.yml'));
    assert.equal(r.exitCode, 0, r.stdout);
  });

  it('a catalog without objectives has no groups', () => {
    const plain = defineMetrics({ a: { name: 'a_total', type: 'counter', help: 'A.' } });
    assert.equal(catalogRules(plain), 'groups: []\n');
    assert.equal(
      catalogRuleTests(plain, { ruleFile: 'r.yml' }),
      'rule_files:\n  - r.yml\nevaluation_interval: 1m\ntests: []\n',
    );
  });

  it('refuses bad options and what is not a catalog', () => {
    const refused = (fn: () => unknown, message: string) =>
      assert.throws(
        fn,
        (e) => e instanceof TelltaleError && e.message === `TT_INVALID_OPTION: ${message}`,
      );
    refused(
      () => catalogRules({} as never),
      'catalogRules: catalog must be a catalog from defineMetrics or parseCatalog',
    );
    refused(
      () => catalogRules(DOCS_CATALOG, { prefix: '1x' }),
      'catalogRules: prefix "1x" must be a valid metric-name start, like "shop_"',
    );
    refused(
      () => catalogRules(DOCS_CATALOG, { group: '' }),
      'catalogRules: group must be a non-empty string',
    );
    refused(
      () => catalogRuleTests(DOCS_CATALOG, {} as never),
      'catalogRuleTests: ruleFile must be the path of the rule file the tests load',
    );
  });
});
