// Child processes for tests: run a command to completion, or supervise a long-lived server process.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';

/** How a child process ended. Exactly one of `code` and `signal` is non-null, unless it never ran. */
export interface ExitInfo {
  /** The exit code, or `null` when the process was killed by a signal. */
  code: number | null;
  /** The signal that killed the process, or `null` when it exited by itself. */
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. `ENOENT`). */
  error?: Error;
}

/** Result of {@link runCommand}. */
export interface CommandResult {
  /** The exit code; `null` when killed by a signal or when the command could not start. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link runCommand}. */
export interface RunCommandOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is empty. */
  input?: string | Buffer;
  /** Kill the command with SIGKILL after this many milliseconds. Default 30000. */
  timeoutMs?: number;
  cwd?: string;
  /** Environment; default: the parent's environment. */
  env?: NodeJS.ProcessEnv;
}

// Every child that is still running. If the test process exits without stopping one (a crashed
// test, a missing t.after), the exit hook kills it so no server outlives the run.
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function track(child: ChildProcess, name: string): void {
  running.set(child, name);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const [c, n] of running) {
        process.stderr.write(`test helpers: killing ${n} (pid ${c.pid}); no test stopped it\n`);
        try {
          c.kill('SIGKILL');
        } catch {
          // Already gone.
        }
      }
    });
  }
}

/**
 * Runs a command to completion and captures its stdout and stderr as UTF-8 strings.
 *
 * Never rejects for a non-zero exit: the caller asserts on `exitCode`. If the command cannot be
 * started, it resolves with `exitCode: null` and the spawn error in `stderr`. A child that exits
 * before reading all of `input` (EPIPE) is not an error either.
 *
 * @example
 * const { exitCode, stderr } = await runCommand('promtool', ['check', 'metrics'], { input: body });
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(child, command);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | undefined;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      // EPIPE: the command exited without reading its input; its exit code tells the story.
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        exitCode: spawnError ? null : code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError ? `${stderr}${command}: ${spawnError.message}` : stderr,
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** One line of output captured by a {@link ManagedProcess}. */
export interface OutputLine {
  stream: 'stdout' | 'stderr';
  /** The line without its trailing newline (and without a trailing `\r`). */
  text: string;
}

/** Options for {@link ManagedProcess.start}. */
export interface ManagedProcessOptions {
  /** Short name used in error messages, e.g. `prometheus`. Default: the command's basename. */
  name?: string;
  cwd?: string;
  /** Environment; default: the parent's environment. */
  env?: NodeJS.ProcessEnv;
  /** Give the child a writable stdin (see {@link ManagedProcess.stdin}). Default: stdin is ignored. */
  pipeStdin?: boolean;
  /** Keep at most this many lines; older ones are dropped (and counted). Default 20000. */
  maxLines?: number;
}

/** Options for {@link ManagedProcess.waitForLine}. */
export interface WaitForLineOptions {
  /** Which stream to search. Default: both. */
  stream?: 'stdout' | 'stderr';
  /**
   * Only consider lines from this absolute index on (see {@link ManagedProcess.lineCount}), to
   * wait for the *next* occurrence of something already seen. Default 0: all lines so far count.
   */
  fromIndex?: number;
}

/**
 * A supervised child process: its stdout and stderr are split into lines and kept in memory,
 * tests can wait for a line, and {@link ManagedProcess.stop} always ends it (SIGTERM, then SIGKILL).
 *
 * The child does not keep the test process alive by itself (it is unref'd until someone awaits
 * `exited` or calls `stop()`): a test that forgets to stop it lets its file finish, and the exit
 * hook then kills the child and says so on stderr, instead of hanging the whole run.
 *
 * Create it with {@link ManagedProcess.start}. Servers started by the other helpers expose theirs
 * as `process`, and their output appears in their error messages.
 *
 * @example
 * const child = ManagedProcess.start('redis-server', ['--port', String(port)]);
 * t.after(() => child.stop());
 * await child.waitForLine(/Ready to accept connections/, 5000);
 */
export class ManagedProcess {
  /** Name used in messages. */
  readonly name: string;
  /** The OS process id, or `undefined` if the process could not be started. */
  readonly pid: number | undefined;

  /** The child's stdin when started with `pipeStdin: true`, else `null`. */
  readonly stdin: Writable | null;

  #child: ChildProcess;
  #exited: Promise<ExitInfo>;
  #lines: OutputLine[] = [];
  #dropped = 0;
  #maxLines: number;
  #partial = { stdout: '', stderr: '' };
  #exit: ExitInfo | undefined;
  #listeners = new Set<() => void>();

  private constructor(command: string, args: readonly string[], options: ManagedProcessOptions) {
    this.name = options.name ?? command.split('/').pop() ?? command;
    this.#maxLines = options.maxLines ?? 20_000;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.pipeStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.pid = child.pid;
    this.stdin = child.stdin;
    child.stdin?.on('error', () => {
      // EPIPE after the child exited; the exit status is what matters.
    });
    track(child, this.name);
    child.unref();
    (child.stdout as Socket | null)?.unref();
    (child.stderr as Socket | null)?.unref();
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.#onData('stdout', chunk));
    child.stderr?.on('data', (chunk: string) => this.#onData('stderr', chunk));
    this.#exited = new Promise((resolve) => {
      const finish = (info: ExitInfo): void => {
        if (this.#exit) return;
        running.delete(child);
        for (const stream of ['stdout', 'stderr'] as const) {
          if (this.#partial[stream] !== '') this.#push(stream, this.#partial[stream]);
          this.#partial[stream] = '';
        }
        this.#exit = info;
        this.#notify();
        resolve(info);
      };
      // 'close' (not 'exit') so that all output has been read when `exited` resolves.
      child.on('close', (code, signal) => finish({ code, signal }));
      child.on('error', (error) => {
        // Spawn failures emit 'error' and may never emit 'close'.
        if (child.pid === undefined) finish({ code: null, signal: null, error });
      });
    });
  }

  /**
   * Spawns `command` with `args` (no shell) and starts capturing its output.
   *
   * A command that cannot be started does not throw here: `exited` resolves with `error` set, and
   * {@link ManagedProcess.waitForLine} rejects.
   */
  static start(
    command: string,
    args: readonly string[],
    options: ManagedProcessOptions = {},
  ): ManagedProcess {
    return new ManagedProcess(command, args, options);
  }

  /**
   * Resolves once, when the process has exited and its output has been read completely. Reading
   * this property makes the child keep the test process alive until it exits.
   */
  get exited(): Promise<ExitInfo> {
    if (this.#exit === undefined) {
      this.#child.ref();
      (this.#child.stdout as Socket | null)?.ref();
      (this.#child.stderr as Socket | null)?.ref();
    }
    return this.#exited;
  }

  /** How the process ended, or `undefined` while it is still running. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /** Total number of lines seen so far, including dropped ones; use it as `fromIndex`. */
  get lineCount(): number {
    return this.#dropped + this.#lines.length;
  }

  /** The captured lines (both streams, in arrival order), oldest first. */
  get lines(): readonly OutputLine[] {
    return this.#lines;
  }

  /** The captured stdout lines. */
  get stdoutLines(): string[] {
    return this.#lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
  }

  /** The captured stderr lines. */
  get stderrLines(): string[] {
    return this.#lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
  }

  /**
   * The last `maxLines` lines, prefixed with the process name and stream, for error messages.
   *
   * @param maxLines Default 40.
   */
  tail(maxLines = 40): string {
    const lines = this.#lines.slice(-maxLines);
    const status = this.#exit
      ? `exited (code ${this.#exit.code}, signal ${this.#exit.signal}${this.#exit.error ? `, ${this.#exit.error.message}` : ''})`
      : `running (pid ${this.pid})`;
    const header = `--- ${this.name} ${status}; last ${lines.length} of ${this.lineCount} lines:`;
    return [header, ...lines.map((l) => `${this.name}[${l.stream}] ${l.text}`)].join('\n');
  }

  /**
   * Waits until a captured line matches `pattern` and returns the match.
   *
   * Lines that arrived before the call count too (unless `fromIndex` says otherwise), so there is
   * no race between starting the process and waiting.
   *
   * @param pattern Matched against each line; `g`/`y` flags are ignored.
   * @param timeoutMs Default 10000.
   * @throws When the deadline passes or the process exits first; the message includes the output tail.
   * @example
   * const m = await child.waitForLine(/listening on port (\d+)/, 5000);
   * const port = Number(m[1]);
   */
  waitForLine(
    pattern: RegExp,
    timeoutMs = 10_000,
    options: WaitForLineOptions = {},
  ): Promise<RegExpExecArray> {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    let next = Math.max(options.fromIndex ?? 0, this.#dropped);
    const find = (): RegExpExecArray | undefined => {
      for (; next < this.lineCount; next++) {
        const line = this.#lines[next - this.#dropped];
        if (line === undefined || (options.stream && line.stream !== options.stream)) continue;
        const m = re.exec(line.text);
        if (m) return m;
      }
      return undefined;
    };
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      const check = (): void => {
        const m = find();
        if (m) {
          done();
          resolve(m);
        } else if (this.#exit) {
          done();
          reject(
            new Error(`${this.name} exited before printing a line matching ${re}\n${this.tail()}`),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no line matching ${re} from ${this.name} in ${timeoutMs} ms\n${this.tail()}`),
        );
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /**
   * Sends a signal if the process is still running. Returns immediately; await `exited` to see it end.
   *
   * @param signal Default `SIGTERM`.
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.#exit === undefined && this.#child.exitCode === null) this.#child.kill(signal);
  }

  /**
   * Ends the process and waits for it: sends `signal`, and SIGKILL if it is still running after
   * `timeoutMs`. Safe to call repeatedly and after the process has exited.
   *
   * @param options.signal Default `SIGTERM`.
   * @param options.timeoutMs Grace period before SIGKILL. Default 10000.
   * @returns How the process ended.
   */
  async stop(options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<ExitInfo> {
    if (this.#exit) return this.#exit;
    this.kill(options.signal ?? 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 10_000);
    });
    const first = await Promise.race([this.exited, grace]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    this.kill('SIGKILL');
    return this.exited;
  }

  #onData(stream: 'stdout' | 'stderr', chunk: string): void {
    const parts = (this.#partial[stream] + chunk).split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.#push(stream, part);
    if (parts.length > 0) this.#notify();
  }

  #push(stream: 'stdout' | 'stderr', text: string): void {
    this.#lines.push({ stream, text: text.endsWith('\r') ? text.slice(0, -1) : text });
    if (this.#lines.length > this.#maxLines) {
      this.#lines.shift();
      this.#dropped++;
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
