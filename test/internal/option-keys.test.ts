// The options-object checks every factory shares: checkOptionsObject, checkOptionKeys (messages, did-you-mean, the compile-time key list) and the edit distance behind the suggestion.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkOptionKeys,
  checkOptionsObject,
  editDistance,
} from '../../src/internal/option-keys.js';

interface Options {
  readonly prefix?: string;
  readonly strict?: boolean;
  readonly maxSeries?: number;
}
const KNOWN = ['prefix', 'strict', 'maxSeries'] as const;

function refused(message: string): { name: string; code: string; message: string } {
  return {
    name: 'TelltaleError',
    code: 'TT_INVALID_OPTION',
    message: `TT_INVALID_OPTION: ${message}`,
  };
}

describe('checkOptionKeys', () => {
  it('accepts the known keys, whatever their values, and an empty object', () => {
    const empty: Options = {};
    checkOptionKeys('f', empty, KNOWN);
    const all: Options = { prefix: 'a_', strict: true, maxSeries: 1 };
    checkOptionKeys('f', all, KNOWN);
    checkOptionKeys('f', { prefix: undefined } as unknown as Options, KNOWN);
  });

  it('names the factory and the key, and suggests the closest known key within 2 edits', () => {
    const cases: [string, string][] = [
      ['prefx', 'prefix'], // a deletion
      ['prefixx', 'prefix'], // an insertion
      ['strikt', 'strict'], // a substitution
      ['stirct', 'strict'], // a transposition: 2 edits
      ['MaxSeries', 'maxSeries'], // case counts as an edit
      ['maxseries', 'maxSeries'],
    ];
    for (const [typo, near] of cases) {
      assert.throws(
        () => checkOptionKeys('createThing', { [typo]: 1 } as Options, KNOWN),
        refused(`createThing: unknown option "${typo}"; did you mean "${near}"?`),
      );
    }
  });

  it('lists the known keys when none is within 2 edits', () => {
    for (const key of ['registry', 'prfx_', 'x']) {
      assert.throws(
        () => checkOptionKeys('createThing', { [key]: 1 } as Options, KNOWN),
        refused(`createThing: unknown option "${key}"; the options are prefix, strict, maxSeries`),
      );
    }
  });

  it('writes the prefix of a nested object before each key', () => {
    assert.throws(
      () => checkOptionKeys('createThing', { strct: true } as Options, KNOWN, 'tracing.'),
      refused('createThing: unknown option "tracing.strct"; did you mean "tracing.strict"?'),
    );
    assert.throws(
      () => checkOptionKeys('createThing', { zzz: true } as Options, KNOWN, 'tracing.'),
      refused(
        'createThing: unknown option "tracing.zzz"; the options are tracing.prefix, tracing.strict, tracing.maxSeries',
      ),
    );
  });

  it('reports the first unknown key, and only own enumerable string keys count', () => {
    assert.throws(
      () => checkOptionKeys('f', { prefix: 'a', b: 1, c: 2 } as Options, KNOWN),
      refused('f: unknown option "b"; the options are prefix, strict, maxSeries'),
    );
    const inherited = Object.create({ inherited: 1 }) as Options;
    checkOptionKeys('f', inherited, KNOWN);
    const hidden = Object.defineProperty({}, 'hidden', { value: 1, enumerable: false });
    checkOptionKeys('f', hidden as Options, KNOWN);
    checkOptionKeys('f', { [Symbol('s')]: 1 } as Options, KNOWN);
  });

  it('is checked against the options type by the compiler, both ways', () => {
    const o: Options = {};
    // @ts-expect-error: the list misses maxSeries, a key of Options.
    checkOptionKeys('f', o, ['prefix', 'strict'] as const);
    // @ts-expect-error: registry is not a key of Options.
    checkOptionKeys('f', o, ['prefix', 'strict', 'maxSeries', 'registry'] as const);
    type Union = { readonly a: 1; readonly neverB?: never } | { readonly b: 2 };
    const u = { a: 1 } as Union;
    // Every member's keys count: a union's list names them all.
    checkOptionKeys('f', u, ['a', 'neverB', 'b'] as const);
    // @ts-expect-error: b, a key of the second member, is missing.
    checkOptionKeys('f', u, ['a', 'neverB'] as const);
    assert.ok(true, 'type-level only: tsc -p tsconfig.json fails if a line above compiles');
  });
});

describe('checkOptionsObject', () => {
  it('accepts any object that is not an array', () => {
    checkOptionsObject('f', {});
    checkOptionsObject('f', Object.create(null));
  });

  it('refuses null, primitives and arrays, naming the factory, with an example when given', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'undefined'],
      ['a', 'string'],
      [1, 'number'],
      [true, 'boolean'],
      [() => {}, 'function'],
      [[], 'an array'],
    ];
    for (const [value, got] of cases) {
      assert.throws(
        () => checkOptionsObject('createThing', value, "{ prefix: 'a_' }"),
        refused(`createThing: options must be an object, such as { prefix: 'a_' }, got ${got}`),
      );
    }
    assert.throws(
      () => checkOptionsObject('createThing', null),
      refused('createThing: options must be an object, got null'),
    );
  });
});

describe('editDistance', () => {
  it('is the Levenshtein distance', () => {
    const cases: [string, string, number][] = [
      ['', '', 0],
      ['a', '', 1],
      ['', 'abc', 3],
      ['prefix', 'prefix', 0],
      ['prefx', 'prefix', 1],
      ['kitten', 'sitting', 3],
      ['flaw', 'lawn', 2],
      ['ab', 'ba', 2],
    ];
    for (const [a, b, d] of cases) {
      assert.equal(editDistance(a, b), d, `${a} → ${b}`);
      assert.equal(editDistance(b, a), d, `${b} → ${a}`);
    }
  });

  it('stops at the limit and returns it for anything at least that far', () => {
    assert.equal(editDistance('kitten', 'sitting', 3), 3);
    assert.equal(editDistance('kitten', 'sitting', 2), 2);
    assert.equal(editDistance('a', 'abcdef', 3), 3, 'the length difference alone');
    assert.equal(editDistance('prefx', 'prefix', 3), 1);
  });
});
