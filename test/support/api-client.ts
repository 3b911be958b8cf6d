export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A thin fetch wrapper: what a frontend, a browser or an attacker would send over HTTP. The bearer is a
 * token, or a function minting one per request (an operator console does that: operator tokens are single
 * use for the actions the confirmation service checks).
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly bearer?: string | (() => Promise<string>),
  ) {}

  as(bearer: string | (() => Promise<string>)): ApiClient {
    return new ApiClient(this.baseUrl, bearer);
  }

  async call<T = any>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.bearer) headers.authorization = `Bearer ${typeof this.bearer === 'string' ? this.bearer : await this.bearer()}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const body = type.includes('json') && text ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.call<T>('GET', path, { headers });
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.call<T>('POST', path, { body: body ?? {}, headers });
  }
}
