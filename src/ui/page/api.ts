/// <reference lib="dom" />
/** Talking to the agent: the token lives in sessionStorage (this tab only) and goes as a Bearer header. */

const KEY = 'offloadctl.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

export async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
}

export async function post(path: string, body: unknown): Promise<PostResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const t = getToken();
  if (t) headers.authorization = `Bearer ${t}`;
  const r = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  let json: Record<string, unknown> = {};
  try {
    json = (await r.json()) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: r.status, body: json };
}
