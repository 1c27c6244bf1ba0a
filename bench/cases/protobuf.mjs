// Protobuf against text rendering of the same registry, in one process (telltale only: the peers
// have no protobuf exposition, so their adapters answer n/a). Builds the exposition workload of one
// fixture shape, then renders it in turn as text (gather + encodeText, as the exposition cases),
// as protobuf (gather + encodeProtobuf) and as protobuf the way the metrics handler does (gather +
// encodeProtobufChunks with one createProtobufCache() kept between renders), rotating the order
// every round. Before every render (untimed) the first series is bumped, so values change between
// renders as on a server; the first and the last render of each variant are decoded and their
// series count and totals checked against what was recorded.
// Usage: node ... bench/cases/protobuf.mjs --lib=telltale --kind=counters|histograms [--shape=shared|unique|one-family|many-families] [--reps=7] [--min-ms=1000]
import { othersMeter } from '../cpu.mjs';
import { loadLib } from '../libs/index.mjs';
import { median, parseArgs, report } from './args.mjs';
import { BUMP_OBSERVATION, DEFAULT_BUCKETS, workload } from './data.mjs';
import {
  asText,
  checkCounterProtobuf,
  checkCounterText,
  checkHistogramProtobuf,
  checkHistogramText,
  protobufLength,
} from './parse.mjs';

const args = parseArgs();
// At least `reps` rounds, and more (up to 40) until about a second of cached protobuf rendering
// was timed, as the exposition cases do.
const reps = Number(args.reps ?? 7);
const minTimedMs = Number(args['min-ms'] ?? 1000);
const warmup = Number(args.warmup ?? 2);
const lib = await loadLib(args.lib);
if (typeof lib.protobufRenders !== 'function') {
  report({ lib: args.lib, case: `protobuf-${args.kind}`, na: true });
  process.exit(0);
}
const counters = args.kind === 'counters';
const shape = args.shape ?? 'shared';
const w = workload(shape, counters ? 'counters' : 'histograms');

const t0 = performance.now();
const built = counters ? lib.buildCounters(w) : lib.buildHistograms(w);
const buildMs = performance.now() - t0;
const pb = lib.protobufRenders(built);

const VARIANTS = {
  text: { render: () => built.render(), size: (out) => Buffer.byteLength(asText(out)) },
  protobuf: { render: pb.plain, size: protobufLength },
  cached: { render: pb.cached, size: protobufLength },
};
const NAMES = Object.keys(VARIANTS);

let bumps = 0;
function expected() {
  return counters
    ? { total: w.total + bumps, count: w.count }
    : { total: w.total + bumps * BUMP_OBSERVATION, count: w.count + bumps };
}
function check(name, out) {
  const { total, count } = expected();
  const bounds = DEFAULT_BUCKETS.length;
  if (name === 'text') {
    const text = asText(out);
    if (counters) checkCounterText(text, w.series, total);
    else checkHistogramText(text, w.series, count, total, bounds);
  } else if (counters) checkCounterProtobuf(out, w.series, total);
  else checkHistogramProtobuf(out, w.series, count, total, bounds);
}
/** One render of `name` on a freshly bumped registry; the timer covers gather + encode. */
async function once(name) {
  built.bump(BUMP_OBSERVATION);
  bumps++;
  const start = performance.now();
  const out = await VARIANTS[name].render();
  return { out, ms: performance.now() - start };
}

const bytes = {};
for (const name of NAMES) {
  const { out } = await once(name);
  check(name, out);
  bytes[name] = VARIANTS[name].size(out);
}
for (let i = 0; i < warmup; i++) for (const name of NAMES) await once(name);

const others = othersMeter();
const samples = { text: [], protobuf: [], cached: [] };
const last = {};
let cachedMs = 0;
for (let r = 0; r < reps || (cachedMs < minTimedMs && r < 40); r++) {
  for (let k = 0; k < NAMES.length; k++) {
    const name = NAMES[(r + k) % NAMES.length];
    const { out, ms } = await once(name);
    samples[name].push(ms);
    if (name === 'cached') cachedMs += ms;
    last[name] = { out, bumps };
  }
}
const othersCpu = others();
// The last render of each variant, checked against the totals at its own bump.
const bumpsNow = bumps;
for (const name of NAMES) {
  bumps = last[name].bumps;
  check(name, last[name].out);
}
bumps = bumpsNow;

const variants = Object.fromEntries(
  NAMES.map((name) => [
    name,
    { samples: samples[name], median: median(samples[name]), bytes: bytes[name] },
  ]),
);
report({
  lib: args.lib,
  case: `protobuf-${args.kind}`,
  shape,
  unit: 'ms',
  // The figure of the row: protobuf as the metrics handler renders it (cached).
  samples: samples.cached,
  median: median(samples.cached),
  variants,
  bytes: bytes.cached,
  buildMs,
  othersCpu,
});
