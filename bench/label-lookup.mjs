// Labels-object lookups with several metrics in one process (the realistic case), for telltale only, by hand.
//
// Usage (from the repository root):
//   node --conditions=telltale-source --import tsx bench/label-lookup.mjs --case=NAME [--src=DIR]
//   node --conditions=telltale-source --import tsx bench/label-lookup.mjs --ab=BASE_SRC,NEW_SRC [--rounds=5]
//
// bench/cases/hot.mjs times one metric alone, where any lookup's inline caches stay monomorphic.
// A service has many labelled metrics, each updated from its own call sites, and code shared
// between metrics sees all of their label names and object shapes. Cases (each in a fresh process):
//   one       one counter, labels {a,b,c}, 100 combinations (as hot.mjs counter-labels)
//   mixed     four counters with different label names, each updated in turn from its own object literal
//   same      four counters with the same label names {method,route,status} (HTTP-style metrics)
//   generic   as mixed, but sixteen other 3-label tuples were registered first, so all four use the generic lookup
//   five      one counter with five labels
//   seven     one counter with seven labels (the generic lookup)
//   reorder   one counter, labels written {c,b,a} (not the declared order)
//   bound     a bound handle's inc(), after the four mixed counters ran
// Time is CPU time (process.cpuUsage) per update, median of 7 batches after warm-up, so time spent
// descheduled on a shared machine does not count. `--ab` runs every case alternately against two
// copies of src/ (e.g. `git archive main src | tar -x -C /tmp/base`), order flipped every round,
// and prints the median and range per case and source. No timing is asserted anywhere.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const CASES = ['one', 'mixed', 'same', 'generic', 'five', 'seven', 'reorder', 'bound'];
const here = fileURLToPath(import.meta.url);

if (args.ab !== undefined) {
  const srcs = args.ab.split(',');
  const rounds = Number(args.rounds ?? 5);
  const cases = args.cases ? args.cases.split(',') : CASES;
  const res = {};
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const order = r % 2 === 0 ? srcs : [...srcs].reverse();
      for (const src of order) {
        const out = execFileSync(
          process.execPath,
          ['--conditions=telltale-source', '--import', 'tsx', here, `--case=${c}`, `--src=${src}`],
          { encoding: 'utf8' },
        );
        const ns = JSON.parse(out).ns;
        const key = `${c} ${src}`;
        res[key] ??= [];
        res[key].push(ns);
        console.error(`round ${r + 1} ${c} ${src}: ${ns.toFixed(1)} ns`);
      }
    }
  }
  for (const [k, v] of Object.entries(res)) {
    v.sort((a, b) => a - b);
    const med = v[Math.floor(v.length / 2)];
    console.log(
      `${k}: median ${med.toFixed(1)} ns, range ${v[0].toFixed(1)}-${v.at(-1).toFixed(1)} (${v.length} runs)`,
    );
  }
  process.exit(0);
}

const src = args.src ?? join(import.meta.dirname, '..', 'src');
const { createRegistry } = await import(pathToFileURL(join(src, 'metrics/index.ts')).href);
const T = [];
for (let i = 0; i < 100; i++) {
  T.push([`m${i % 5}`, `/route/${Math.floor(i / 5) % 5}`, `${200 + Math.floor(i / 25)}`]);
}
const r = createRegistry();
const counter = (name, labelNames) => r.counter({ name, help: 'h', labelNames });
let run;
let check;
const c = args.case;
if (c === 'one' || c === 'reorder' || c === 'five' || c === 'seven') {
  const m =
    c === 'five'
      ? counter('five', ['a', 'b', 'c', 'd', 'e'])
      : c === 'seven'
        ? counter('seven', ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
        : counter('one', ['a', 'b', 'c']);
  run =
    c === 'one'
      ? (n) => {
          let j = 0;
          for (let i = 0; i < n; i++) {
            const t = T[j];
            m.inc({ a: t[0], b: t[1], c: t[2] });
            if (++j === 100) j = 0;
          }
        }
      : c === 'reorder'
        ? (n) => {
            let j = 0;
            for (let i = 0; i < n; i++) {
              const t = T[j];
              m.inc({ c: t[2], b: t[1], a: t[0] });
              if (++j === 100) j = 0;
            }
          }
        : c === 'five'
          ? (n) => {
              let j = 0;
              for (let i = 0; i < n; i++) {
                const t = T[j];
                m.inc({ a: t[0], b: t[1], c: t[2], d: 'x', e: 'y' });
                if (++j === 100) j = 0;
              }
            }
          : (n) => {
              let j = 0;
              for (let i = 0; i < n; i++) {
                const t = T[j];
                m.inc({ a: t[0], b: t[1], c: t[2], d: 'x', e: 'y', f: 'u', g: 'v' });
                if (++j === 100) j = 0;
              }
            };
  check = () => m.seriesCount === 100;
} else if (c === 'mixed' || c === 'same' || c === 'generic' || c === 'bound') {
  if (c === 'generic') for (let i = 0; i < 16; i++) counter(`pad${i}`, [`p${i}`, 'q', 'r']);
  const names =
    c === 'same'
      ? [0, 1, 2, 3].map(() => ['method', 'route', 'status'])
      : [
          ['a', 'b', 'c'],
          ['method', 'route', 'status'],
          ['x', 'y', 'z'],
          ['op', 'db', 'code'],
        ];
  const [m0, m1, m2, m3] = names.map((l, i) => counter(`m${i}`, l));
  const mixed =
    c === 'same'
      ? (n) => {
          let j = 0;
          for (let i = 0; i < n; i += 4) {
            const t = T[j];
            m0.inc({ method: t[0], route: t[1], status: t[2] });
            m1.inc({ method: t[0], route: t[1], status: t[2] });
            m2.inc({ method: t[0], route: t[1], status: t[2] });
            m3.inc({ method: t[0], route: t[1], status: t[2] });
            if (++j === 100) j = 0;
          }
        }
      : (n) => {
          let j = 0;
          for (let i = 0; i < n; i += 4) {
            const t = T[j];
            m0.inc({ a: t[0], b: t[1], c: t[2] });
            m1.inc({ method: t[0], route: t[1], status: t[2] });
            m2.inc({ x: t[0], y: t[1], z: t[2] });
            m3.inc({ op: t[0], db: t[1], code: t[2] });
            if (++j === 100) j = 0;
          }
        };
  run = mixed;
  check = () => [m0, m1, m2, m3].every((m) => m.seriesCount === 100);
  if (c === 'bound') {
    mixed(4e6);
    const h = m1.labels('GET', '/', '200');
    run = (n) => {
      for (let i = 0; i < n; i++) h.inc();
    };
    check = () => h.get() > 0;
  }
} else {
  console.error(`label-lookup: unknown case ${c}; one of ${CASES.join(', ')}`);
  process.exit(2);
}
const N = c === 'bound' ? 2e7 : 2e6;
for (let w = 0; w < 5; w++) run(N);
const samples = [];
for (let k = 0; k < 7; k++) {
  const t0 = process.cpuUsage();
  run(N);
  const d = process.cpuUsage(t0);
  samples.push(((d.user + d.system) * 1000) / N);
}
if (!check()) throw new Error(`label-lookup: case ${c} did not do its work`);
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ case: c, ns: samples[3], min: samples[0], max: samples[6] }));
