import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type AppName = 'api' | 'notification-worker' | 'confirmation-service';

const ROOT = join(__dirname, '..', '..');

/**
 * The run-time settings the production image gives the apps (its `ENV NODE_OPTIONS`, heap bounds, and
 * `ENV MALLOC_ARENA_MAX`): the bench runs them too.
 */
export function imageRuntimeEnv(): { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string } {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const value = (name: string) => {
    const found = new RegExp(`^ENV ${name}="([^"]*)"`, 'm').exec(dockerfile)?.[1];
    if (found === undefined) throw new Error(`the Dockerfile sets no ${name}`);
    return found;
  };
  return { NODE_OPTIONS: value('NODE_OPTIONS'), MALLOC_ARENA_MAX: value('MALLOC_ARENA_MAX') };
}

/** One of the three apps as its own operating-system process, run from its TypeScript entry point. */
export class AppProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];
  /** Called when the process ends by itself: not by kill() or stop(). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  private ending = false;
  /** Extra node flags, e.g. `--cpu-prof` (which NODE_OPTIONS does not allow). */
  nodeArgs: string[] = [];

  constructor(
    readonly name: AppName,
    private readonly env: Record<string, string>,
    private readonly echo?: (line: string) => void,
    /** Run the built JavaScript (dist/, `npm run build`) instead of the TypeScript: as production runs it (the bench). */
    private readonly fromDist = false,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the app and resolves once it says it is ready (the API: listening; workers: started). */
  start(timeoutMs = 60000): Promise<this> {
    const args = [
      ...this.nodeArgs,
      ...(this.fromDist
        ? [join('dist', 'apps', this.name, 'src', 'main.js')]
        : ['-r', '@swc-node/register', join('apps', this.name, 'src', 'main.ts')]),
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...(this.fromDist ? imageRuntimeEnv() : {}), ...this.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.ending = false;
    child.once('exit', (code, signal) => {
      if (!this.ending) this.onUnexpectedExit?.(code, signal);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start in time:\n${this.output.join('\n')}`)), timeoutMs);
      // Whole lines only: a chunk may end mid-line (each log line is one JSON object).
      const lines = (stream: NodeJS.ReadableStream) => {
        let partial = '';
        stream.on('data', (chunk: Buffer) => {
          const parts = (partial + chunk.toString()).split('\n');
          partial = parts.pop() ?? '';
          for (const line of parts.filter(Boolean)) onLine(line);
        });
        stream.on('end', () => partial && onLine(partial));
      };
      const onLine = (line: string) => {
        this.output.push(line);
        this.echo?.(line);
        if (/listening on|\] started|"msg":"started"/.test(line)) {
          clearTimeout(timer);
          resolve(this);
        }
      };
      lines(child.stdout);
      lines(child.stderr);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output.join('\n')}`));
      });
    });
  }

  /** SIGKILL: no shutdown hooks, no goodbye — a crash. */
  kill(): Promise<number | null> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM, as an orchestrator stops a container; resolves with the exit code once the process has exited. */
  stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  /** Whether the process has exited (by itself or by a signal). */
  get exited(): boolean {
    return !this.child || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private signal(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    this.ending = true;
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill(signal);
    });
  }
}
