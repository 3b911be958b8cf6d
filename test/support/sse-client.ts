/** A Server-Sent Events reader as a frontend's EventSource would be: events and comments as they arrive. */
export class SseClient {
  readonly events: { event: string; data: unknown; at: number }[] = [];
  comments = 0;
  status = 0;
  contentType = '';
  ended = false;
  private readonly controller = new AbortController();
  private done?: Promise<void>;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly bearer: string,
  ) {}

  /** Connects; resolves once the response headers are in. A problem answer is read whole (`body`). */
  async open(): Promise<{ status: number; body?: unknown }> {
    const response = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.bearer}`, accept: 'text/event-stream' },
      signal: this.controller.signal,
    });
    this.status = response.status;
    this.contentType = response.headers.get('content-type') ?? '';
    if (!this.contentType.startsWith('text/event-stream')) return { status: response.status, body: await response.json() };
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.onBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // aborted by close()
      } finally {
        this.ended = true;
        this.wake();
      }
    })();
    return { status: response.status };
  }

  private onBlock(block: string): void {
    if (block.startsWith(':')) this.comments++;
    else {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      this.events.push({ event, data: data === undefined ? undefined : JSON.parse(data), at: Date.now() });
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Resolves when `check` holds (looked at after every event, comment or the end); rejects after the timeout. */
  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`SSE: ${what} did not happen within ${timeoutMs} ms (${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  statuses(): string[] {
    return this.events.filter((e) => e.event === 'status').map((e) => (e.data as { status: string }).status);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}
