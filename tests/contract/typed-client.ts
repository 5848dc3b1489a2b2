import type { paths } from './engage-api.js';

/**
 * A client typed by the generated API types alone (tests/contract/engage-api.ts): the paths,
 * parameters, bodies and every documented response, so a change to the contract that breaks a
 * caller breaks the compile of its flow test.
 */
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Parameters<O, In extends string> = O extends { parameters: { [K in In]?: infer T } } ? ([T] extends [never] ? undefined : T) : undefined;
type Body<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : undefined;
type Responses<O> = O extends { responses: infer R } ? R : never;
type Content<R> = R extends { content: { 'application/json': infer J } }
  ? J
  : R extends { content: { 'application/problem+json': infer J } }
    ? J
    : unknown;

/** One of the responses the operation documents, narrowed by `status`. */
export type Result<O> = {
  [S in keyof Responses<O>]: { status: S; body: Content<Responses<O>[S]>; headers: Headers };
}[keyof Responses<O>];

/** The methods a path has (openapi-typescript writes `never` for the others). */
type MethodsOf<P extends keyof paths> = { [M in Method]: paths[P][M] extends undefined | never ? never : M }[Method];

export interface CallOptions<O> {
  path?: Parameters<O, 'path'>;
  query?: Parameters<O, 'query'>;
  headers?: Parameters<O, 'header'>;
  body?: Body<O>;
}

export type Call = <P extends keyof paths, M extends MethodsOf<P>>(
  method: M,
  path: P,
  options: CallOptions<Operation<P, M>> & { token?: string },
) => Promise<Result<Operation<P, M>>>;

export function typedClient(baseUrl: string): Call {
  return async (method, path, options) => {
    const url = new URL(`${baseUrl}${String(path).replace(/^\/api/, '')}`.replace(/\{(\w+)\}/g, (_all, name: string) =>
      encodeURIComponent(String((options.path as Record<string, unknown> | undefined)?.[name]))));
    for (const [name, value] of Object.entries((options.query ?? {}) as Record<string, unknown>)) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { ...((options.headers ?? {}) as Record<string, string>) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('json') && text.length > 0;
    return { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers } as never;
  };
}
