// Gathering several registries as one: families merged by name, never duplicated, always sorted.

import { fail, warnOnce } from '../internal/errors.js';
import { labelSetFragment } from '../internal/escape.js';
import { labelKey } from './labels.js';
import {
  type Gatherer,
  type GatherOptions,
  type GatherSelection,
  LABEL_SHAPE,
  type LabelSet,
  type LabelShape,
  type MetricFamily,
} from './model.js';
import { gatherNames } from './names.js';

/**
 * A series' identity across registries: its label names and values, injectively encoded
 * (`labelKey`) in name order, as Prometheus identifies a series.
 */
function seriesKey(labels: LabelSet): string {
  const flat: string[] = [];
  for (const name of Object.keys(labels).sort()) flat.push(name, labels[name]!);
  return labelKey(flat);
}

/**
 * Merges already-gathered family lists. Families with the same name and type are combined;
 * a series whose labels already appeared is dropped (first wins), and so is a family whose type
 * clashes with an earlier one of the same name. Each drop warns once (`TT_DUPLICATE_SERIES`),
 * so the output stays valid for every consumer.
 */
export function mergeFamilies(lists: readonly (readonly MetricFamily[])[]): MetricFamily[] {
  if (lists.length === 1) return [...lists[0]!];
  const byName = new Map<string, MetricFamily>();
  for (const list of lists) {
    for (const f of list) {
      const prev = byName.get(f.name);
      if (prev === undefined) {
        byName.set(f.name, f);
        continue;
      }
      if (prev.type !== f.type) {
        warnOnce(
          'TT_DUPLICATE_SERIES',
          `type:${f.name}`,
          `metric "${f.name}" is gathered as ${prev.type} and as ${f.type} from different registries; the ${f.type} family was dropped`,
        );
        continue;
      }
      const seen = new Set(prev.points.map((p) => seriesKey(p.labels)));
      const extra = (f.points as readonly { labels: LabelSet }[]).filter((p) => {
        const key = seriesKey(p.labels);
        if (seen.has(key)) {
          const text = labelSetFragment(p.labels);
          warnOnce(
            'TT_DUPLICATE_SERIES',
            `series:${f.name}{${text}}`,
            `metric "${f.name}" has the series {${text}} in more than one registry; the later one was dropped (give the registries distinct default labels)`,
          );
          return false;
        }
        seen.add(key);
        return true;
      });
      // Spread copies no label shape (it is not enumerable): keep one when both families have
      // the same label names (registries with distinct default labels have not).
      const merged = { ...prev, points: Object.freeze([...prev.points, ...extra]) };
      const shape = mergedShape(prev[LABEL_SHAPE], f[LABEL_SHAPE]);
      if (shape !== undefined) Object.defineProperty(merged, LABEL_SHAPE, { value: shape });
      byName.set(f.name, Object.freeze(merged) as MetricFamily);
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The label shape of two merged families: theirs when their label names are the same. */
function mergedShape(a: LabelShape | undefined, b: LabelShape | undefined): LabelShape | undefined {
  if (a === undefined || b === undefined || a.names.length !== b.names.length) return undefined;
  for (let j = 0; j < a.names.length; j++) if (a.names[j] !== b.names[j]) return undefined;
  return a.clean || !b.clean ? b : a;
}

/** What {@link mergeRegistries} returns: a gatherer that also takes `names` as any iterable. */
export interface MergedGatherer extends Gatherer {
  /**
   * Gathers every merged gatherer in parallel (each gets the same `names`, as a Set) and merges
   * the results. Rejects with `TT_INVALID_OPTION` when `names` is not an iterable of strings.
   */
  gather(options?: GatherSelection): Promise<MetricFamily[]>;
}

/**
 * A gatherer over several registries (for example the application's and a library's), gathered
 * in parallel and merged with {@link mergeFamilies}. The gatherers are arguments, not options: it
 * combines them and has no settings.
 * @throws TelltaleError `TT_INVALID_OPTION` when an argument is not a gatherer (a registry, or
 *   anything with `gather()`).
 * @example
 * ```ts
 * const all = mergeRegistries(appRegistry, libraryRegistry);
 * await createMetricsServer({ registry: all });
 * ```
 */
export function mergeRegistries(...gatherers: readonly Gatherer[]): MergedGatherer {
  gatherers.forEach((g, i) => {
    if (typeof (g as Partial<Gatherer> | null)?.gather !== 'function') {
      fail(
        'TT_INVALID_OPTION',
        `mergeRegistries: argument ${i + 1} must be a registry or another gatherer (with gather()), got ${g === null ? 'null' : typeof g}`,
      );
    }
  });
  return {
    async gather(options?: GatherSelection): Promise<MetricFamily[]> {
      // Read the names once: a one-shot iterable would be empty for every gatherer after the first.
      const names = gatherNames('mergeRegistries().gather()', options);
      const opts: GatherOptions | undefined = names === undefined ? undefined : { names };
      const lists = await Promise.all(gatherers.map((g) => g.gather(opts)));
      return mergeFamilies(lists);
    },
  };
}
