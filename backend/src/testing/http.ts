/** A tiny HTTP client for API-contract tests that must see raw statuses and bodies. */
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function http(baseURL: string, token?: string) {
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> => {
    const res = await fetch(baseURL + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* non-JSON body (metrics, HTML) stays text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(p: string, h?: Record<string, string>) => call<T>('GET', p, undefined, h),
    post: <T = any>(p: string, b?: unknown, h?: Record<string, string>) =>
      call<T>('POST', p, b ?? {}, h),
    patch: <T = any>(p: string, b?: unknown) => call<T>('PATCH', p, b ?? {}),
    put: <T = any>(p: string, b?: unknown) => call<T>('PUT', p, b ?? {}),
    delete: <T = any>(p: string) => call<T>('DELETE', p),
    call,
  };
}

export type Http = ReturnType<typeof http>;

/** Signs up a fresh user and returns a client authenticated as them plus their personal org/orbit. */
export async function signupUser(baseURL: string, email: string, password = 'password-123') {
  const anon = http(baseURL);
  const s = await anon.post('/v1/auth/signup', { email, password, fullName: email.split('@')[0] });
  if (s.status !== 201)
    throw new Error(`signup ${email} failed: ${s.status} ${JSON.stringify(s.body)}`);
  const client = http(baseURL, s.body.accessToken);
  const orgs = await client.get('/v1/organizations');
  const org = orgs.body[0];
  const orbits = await client.get(`/v1/organizations/${org.id}/orbits`);
  return {
    client,
    token: s.body.accessToken as string,
    user: s.body.user,
    org,
    orbit: orbits.body[0],
    session: s.body,
  };
}
