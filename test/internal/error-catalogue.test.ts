// The error and warning catalogue agrees with src/ and docs/errors.md, and src/ throws only coded errors (read with the TypeScript compiler, not grep).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ErrorCodes, WarningCodes } from '../../src/internal/errors.js';
import { REPO_ROOT } from '../helpers/process.js';

const ERROR_CODES = new Set(Object.keys(ErrorCodes));
const WARNING_CODES = new Set(Object.keys(WarningCodes));
const CODE_TOKEN = /\bTT_[A-Z0-9_]+\b/g;

/** Built-in constructors whose instances carry no code. */
const BUILTIN_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

interface CodeUse {
  readonly code: string;
  readonly at: string;
  /** `error` for fail()/new TelltaleError(), `warning` for warnOnce(), else `any`. */
  readonly as: 'error' | 'warning' | 'any';
}

interface Scan {
  readonly problems: string[];
  readonly codes: CodeUse[];
}

/** Classes declared `extends TelltaleError` (directly or through another such class). */
function codedClasses(files: readonly { name: string; text: string }[]): Set<string> {
  const parents = new Map<string, string>();
  for (const { name, text } of files) {
    const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name !== undefined) {
        for (const h of n.heritageClauses ?? []) {
          if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
          const base = h.types[0]?.expression;
          if (base !== undefined && ts.isIdentifier(base)) parents.set(n.name.text, base.text);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const coded = new Set(['TelltaleError']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [cls, base] of parents) {
      if (coded.has(base) && !coded.has(cls)) {
        coded.add(cls);
        grew = true;
      }
    }
  }
  return coded;
}

/**
 * Finds, in one file: throws of anything but a coded error or a rethrown value; any uncoded error
 * made anywhere (`reject(new Error(…))`, `abort(new TypeError(…))`, `Error(…)`); error classes not
 * derived from TelltaleError; and every `TT_…` code written in a string or template literal.
 */
function scanSource(name: string, text: string, coded: ReadonlySet<string>): Scan {
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const codes: CodeUse[] = [];
  const at = (n: ts.Node): string =>
    `${name}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const snippet = (n: ts.Node): string => n.getText(sf).split('\n')[0]!.slice(0, 80);
  const isCodedNew = (e: ts.Expression): boolean =>
    ts.isNewExpression(e) && ts.isIdentifier(e.expression) && coded.has(e.expression.text);
  const isUncodedErrorName = (id: string): boolean =>
    !coded.has(id) && (BUILTIN_ERRORS.has(id) || id.endsWith('Error'));
  const literalCode = (n: ts.Node | undefined, as: CodeUse['as']): void => {
    if (n !== undefined && ts.isStringLiteralLike(n)) {
      for (const m of n.text.match(CODE_TOKEN) ?? []) codes.push({ code: m, at: at(n), as });
    }
  };

  const visit = (n: ts.Node): void => {
    if (ts.isThrowStatement(n)) {
      // A rethrow passes on a value telltale received (a caught error, the user's own error).
      if (!ts.isIdentifier(n.expression) && !isCodedNew(n.expression)) {
        problems.push(`${at(n)}: throws an uncoded value: ${snippet(n)}`);
      }
    }
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression)) {
      const id = n.expression.text;
      if (id === 'DOMException') {
        // The platform's abort reason (what AbortController.abort() uses by default) is allowed.
        const kind = n.arguments?.[1];
        if (kind === undefined || !ts.isStringLiteralLike(kind) || kind.text !== 'AbortError') {
          problems.push(`${at(n)}: a DOMException other than AbortError: ${snippet(n)}`);
        }
      } else if (isUncodedErrorName(id)) {
        problems.push(`${at(n)}: creates an uncoded ${id}: ${snippet(n)}`);
      } else if (id === 'TelltaleError') {
        literalCode(n.arguments?.[0], 'error');
      }
    }
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      if (ts.isIdentifier(callee) && BUILTIN_ERRORS.has(callee.text)) {
        problems.push(`${at(n)}: creates an uncoded ${callee.text}: ${snippet(n)}`);
      }
      if (ts.isIdentifier(callee) && callee.text === 'fail') literalCode(n.arguments[0], 'error');
      if (ts.isIdentifier(callee) && callee.text === 'warnOnce')
        literalCode(n.arguments[0], 'warning');
      if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'Promise' &&
        callee.name.text === 'reject'
      ) {
        const arg = n.arguments[0];
        if (arg === undefined || (!ts.isIdentifier(arg) && !isCodedNew(arg))) {
          problems.push(`${at(n)}: rejects with an uncoded value: ${snippet(n)}`);
        }
      }
    }
    if (ts.isClassDeclaration(n) && n.name !== undefined && !coded.has(n.name.text)) {
      for (const h of n.heritageClauses ?? []) {
        const base = h.types[0]?.expression;
        if (
          h.token === ts.SyntaxKind.ExtendsKeyword &&
          base !== undefined &&
          ts.isIdentifier(base) &&
          isUncodedErrorName(base.text)
        ) {
          problems.push(`${at(n)}: class ${n.name.text} extends ${base.text}, not TelltaleError`);
        }
      }
    }
    if (
      ts.isStringLiteral(n) ||
      ts.isNoSubstitutionTemplateLiteral(n) ||
      ts.isTemplateHead(n) ||
      ts.isTemplateMiddle(n) ||
      ts.isTemplateTail(n)
    ) {
      const parent = n.parent;
      const counted =
        parent !== undefined &&
        (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
        parent.arguments?.[0] === n &&
        ((ts.isIdentifier(parent.expression) &&
          ['fail', 'warnOnce', 'TelltaleError'].includes(parent.expression.text)) ||
          false);
      if (!counted) {
        for (const m of n.text.match(CODE_TOKEN) ?? [])
          codes.push({ code: m, at: at(n), as: 'any' });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { problems, codes };
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) markdownFiles(p, out);
    else if (entry.endsWith('.md')) out.push(p);
  }
  return out.sort();
}

/** Scans every file under src/ (the catalogue itself, src/internal/errors.ts, defines codes rather than using them). */
function scanTree(): Scan {
  const files = sourceFiles(join(REPO_ROOT, 'src')).map((p) => ({
    name: relative(REPO_ROOT, p),
    text: readFileSync(p, 'utf8'),
  }));
  const coded = codedClasses(files);
  const problems: string[] = [];
  const codes: CodeUse[] = [];
  for (const f of files) {
    const s = scanSource(f.name, f.text, coded);
    problems.push(...s.problems);
    if (f.name !== join('src', 'internal', 'errors.ts')) codes.push(...s.codes);
  }
  return { problems, codes };
}

/** The codes in the first column of each table row of one `## heading` section of the page. */
function sectionCodes(doc: string, heading: string): string[] {
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/errors.md has a "## ${heading}" section`);
  const next = doc.indexOf('\n## ', start + 1);
  const body = doc.slice(start, next < 0 ? undefined : next);
  return [...body.matchAll(/^\| `(TT_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
const documentedErrors = sectionCodes(doc, 'Error codes');
const documentedWarnings = sectionCodes(doc, 'Warning codes');
const retired = new Set(sectionCodes(doc, 'Retired codes'));
const tree = scanTree();

describe('the error catalogue', () => {
  it('src/ throws, rejects and aborts only with coded errors', () => {
    assert.deepEqual(tree.problems, []);
  });

  it('every code src/ writes is in the catalogue, as an error or warning as it is used', () => {
    const wrong: string[] = [];
    for (const u of tree.codes) {
      const ok =
        u.as === 'error'
          ? ERROR_CODES.has(u.code)
          : u.as === 'warning'
            ? WARNING_CODES.has(u.code)
            : ERROR_CODES.has(u.code) || WARNING_CODES.has(u.code);
      if (!ok) wrong.push(`${u.at}: ${u.code} (${u.as}) is not in the catalogue`);
    }
    assert.deepEqual(wrong, []);
  });

  it('every catalogue code is used by src/ (a code nothing emits is retired)', () => {
    const used = new Set(tree.codes.map((u) => u.code));
    const unused = [...ERROR_CODES, ...WARNING_CODES].filter((c) => !used.has(c));
    assert.deepEqual(unused, []);
  });

  it('error and warning codes are distinct, and every code is TT_ and upper snake case', () => {
    assert.deepEqual(
      [...ERROR_CODES].filter((c) => WARNING_CODES.has(c)),
      [],
    );
    for (const c of [...ERROR_CODES, ...WARNING_CODES]) assert.match(c, /^TT_[A-Z][A-Z0-9_]*$/);
  });

  it('docs/errors.md has one table of every error code and one of every warning code, nothing else', () => {
    assert.deepEqual([...documentedErrors].sort(), [...ERROR_CODES].sort());
    assert.deepEqual([...documentedWarnings].sort(), [...WARNING_CODES].sort());
    assert.equal(new Set(documentedErrors).size, documentedErrors.length, 'no error code twice');
    assert.equal(new Set(documentedWarnings).size, documentedWarnings.length, 'no warning twice');
  });

  it('a retired code is never reused: not in the catalogue, not written in src/', () => {
    assert.deepEqual(
      [...retired].filter((c) => ERROR_CODES.has(c) || WARNING_CODES.has(c)),
      [],
    );
    assert.deepEqual(
      tree.codes.filter((u) => retired.has(u.code)).map((u) => `${u.at}: ${u.code}`),
      [],
    );
  });

  it('every TT_ code in docs/ and the README exists, or is listed as retired', () => {
    const known = new Set([...ERROR_CODES, ...WARNING_CODES, ...retired]);
    const unknown: string[] = [];
    for (const p of [...markdownFiles(join(REPO_ROOT, 'docs')), join(REPO_ROOT, 'README.md')]) {
      const lines = readFileSync(p, 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const m of line.match(CODE_TOKEN) ?? []) {
          if (!known.has(m)) unknown.push(`${relative(REPO_ROOT, p)}:${i + 1}: ${m}`);
        }
      });
    }
    assert.deepEqual(unknown, []);
  });
});

describe('the scanner itself', () => {
  const coded = codedClasses([{ name: 'a.ts', text: 'class ParseError extends TelltaleError {}' }]);
  const scan = (text: string) => scanSource('x.ts', text, coded);

  it('reports each kind of uncoded error, with its line', () => {
    const source = [
      "throw new Error('a');", // 1
      "throw 'a string';", // 2
      "promise.then(() => {}, () => reject(new TypeError('b')));", // 3
      "ac.abort(new RangeError('c'));", // 4
      "const e = Error('d');", // 5
      'class MyError extends Error {}', // 6
      "throw { code: 'TT_X' };", // 7
      "Promise.reject('e');", // 8
      "new DOMException('f', 'NotFoundError');", // 9
      'throw makeError();', // 10
      "const f = new CustomError('g');", // 11
    ].join('\n');
    assert.deepEqual(
      scan(source).problems.map((p) => p.replace(/: .*$/, '')),
      [
        'x.ts:1', // the throw…
        'x.ts:1', // …and the uncoded Error it makes
        'x.ts:2',
        'x.ts:3',
        'x.ts:4',
        'x.ts:5',
        'x.ts:6',
        'x.ts:7',
        'x.ts:8',
        'x.ts:9',
        'x.ts:10',
        'x.ts:11',
      ],
    );
  });

  it('accepts coded errors, subclasses of TelltaleError, rethrows and the platform abort reason', () => {
    const source = [
      "fail('TT_INVALID_OPTION', 'x');",
      "throw new TelltaleError('TT_INVALID_VALUE', 'y', { cause: err });",
      "throw new ParseError(3, 'z');",
      'class Sub extends ParseError {}',
      'try { f(); } catch (err) { throw err; }',
      'return Promise.reject(err);',
      "ac.abort(new DOMException('stopped', 'AbortError'));",
    ].join('\n');
    assert.deepEqual(scan(source).problems, []);
  });

  it('collects the codes written in literals, typed by where they appear', () => {
    const source = [
      "fail('TT_INVALID_OPTION', 'x');",
      "warnOnce('TT_DUPLICATE_SERIES', key, 'y');",
      "new TelltaleError('TT_NOT_A_CODE', 'z');",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
      'const msg = `TT_INVALID_LOG_LEVEL: ${x} and TT_OTHER`;',
      "const fields = { code: 'TT_HOOK_TIMEOUT' };",
    ].join('\n');
    assert.deepEqual(
      scan(source).codes.map((u) => `${u.code}/${u.as}`),
      [
        'TT_INVALID_OPTION/error',
        'TT_DUPLICATE_SERIES/warning',
        'TT_NOT_A_CODE/error',
        'TT_INVALID_LOG_LEVEL/any',
        'TT_OTHER/any',
        'TT_HOOK_TIMEOUT/any',
      ],
    );
  });
});
