// Test helper: decodes delimited protobuf bodies with protobufjs and client_model's published metrics.proto (test/golden/metrics.proto), independently of our encoder.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const SCHEMA = fileURLToPath(new URL('../golden/metrics.proto', import.meta.url));
const root = protobuf.loadSync(SCHEMA);
const MetricFamilyType = root.lookupType('io.prometheus.client.MetricFamily');

/** A decoded message as plain data: only the fields present on the wire, int64s as strings. */
export type Decoded = Record<string, unknown>;

/** A decoded message walked freely in assertions (`m.histogram.bucket[0]…`). */
// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf is untyped data; tests index into it.
export type Loose = Record<string, any>;

/**
 * Decodes a stream of varint-length-prefixed MetricFamily messages. Every byte must be consumed
 * by whole messages; protobufjs throws on a truncated or malformed one.
 */
export function decodeDelimited(body: Uint8Array): Decoded[] {
  const reader = protobuf.Reader.create(body);
  const out: Decoded[] = [];
  while (reader.pos < reader.len) {
    const message = MetricFamilyType.decodeDelimited(reader);
    const err = MetricFamilyType.verify(message);
    if (err !== null) throw new Error(`decoded MetricFamily does not verify: ${err}`);
    out.push(
      MetricFamilyType.toObject(message, {
        longs: String,
        enums: String,
        defaults: false,
        arrays: false,
      }) as Decoded,
    );
  }
  if (reader.pos !== body.length) throw new Error(`trailing bytes after ${reader.pos}`);
  return out;
}

/** JSON with the numbers JSON cannot carry spelled out: `"NaN"`, `"+Inf"`, `"-Inf"`, `"-0"`. */
export function toText(families: readonly Decoded[]): string {
  return `${families
    .map((f) =>
      JSON.stringify(
        f,
        (_k, v: unknown) => {
          if (typeof v !== 'number') return v;
          if (Number.isNaN(v)) return 'NaN';
          if (v === Number.POSITIVE_INFINITY) return '+Inf';
          if (v === Number.NEGATIVE_INFINITY) return '-Inf';
          if (Object.is(v, -0)) return '-0';
          return v;
        },
        2,
      ),
    )
    .join('\n')}\n`;
}

/** A decoded Timestamp as whole microseconds since the epoch (exact below 9e9 s). */
export function micros(ts: unknown): number {
  const t = (ts ?? {}) as { seconds?: string; nanos?: number };
  return Number(t.seconds ?? '0') * 1e6 + (t.nanos ?? 0) / 1000;
}

/** A decoded Timestamp as Unix seconds (rounded like any sum of doubles: compare with care). */
export function seconds(ts: unknown): number {
  const t = (ts ?? {}) as { seconds?: string; nanos?: number };
  return Number(t.seconds ?? '0') + (t.nanos ?? 0) / 1e9;
}
