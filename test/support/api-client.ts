export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A thin fetch wrapper: what a frontend, a browser or an attacker would send over HTTP. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly bearer?: string,
  ) {}

  as(bearer: string): ApiClient {
    return new ApiClient(this.baseUrl, bearer);
  }

  async call<T = any>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
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
