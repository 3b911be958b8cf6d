import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export type AppName = 'api' | 'notification-worker' | 'confirmation-service';

const ROOT = join(__dirname, '..', '..');

/** One of the three apps as its own operating-system process, run from its TypeScript entry point. */
export class AppProcess {
  private child?: ChildProcess;
  readonly output: string[] = [];
  /** Called when the process ends by itself: not by kill() or stop(). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  private ending = false;

  constructor(
    readonly name: AppName,
    private readonly env: Record<string, string>,
    private readonly echo?: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the app and resolves once it says it is ready (the API: listening; workers: started). */
  start(timeoutMs = 60000): Promise<this> {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join('apps', this.name, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.ending = false;
    child.once('exit', (code, signal) => {
      if (!this.ending) this.onUnexpectedExit?.(code, signal);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start in time:\n${this.output.join('\n')}`)), timeoutMs);
      const onLine = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          this.output.push(line);
          this.echo?.(line);
          if (/listening on|\] started/.test(line)) {
            clearTimeout(timer);
            resolve(this);
          }
        }
      };
      child.stdout.on('data', onLine);
      child.stderr.on('data', onLine);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready:\n${this.output.join('\n')}`));
      });
    });
  }

  /** SIGKILL: no shutdown hooks, no goodbye — a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    this.ending = true;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}
