import type { History, KeystemItem, KeystemList } from './types.js';

/**
 * The page's only I/O: GETs on the public statistics API, with the read token (when the user
 * gave one) as a Bearer header. A non-2xx answer becomes an ApiError carrying its status and
 * the API's `{"Message"}`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'pacproxy.readToken';

export const readToken = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (token: string): void => {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

export async function getApi(path: string, signal?: AbortSignal): Promise<Response> {
  const token = readToken.get();
  const res = await fetch(path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    cache: 'no-store',
    signal,
  });
  if (!res.ok) {
    let message = res.statusText || 'request failed';
    try {
      const body: unknown = await res.json();
      if (body && typeof body === 'object' && 'Message' in body) message = String(body.Message);
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function getHistory(path: string, signal?: AbortSignal): Promise<History> {
  return (await (await getApi(path, signal)).json()) as History;
}

/** Every keystem, a page of 1,000 at a time (`next` of one page is `after` of the next). */
export async function getAllKeystems(signal?: AbortSignal): Promise<KeystemItem[]> {
  const items: KeystemItem[] = [];
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (after !== null) query.set('after', after);
    const page = (await (await getApi(`/api/keydata?${query}`, signal)).json()) as KeystemList;
    items.push(...(page.items ?? []));
    after = page.next;
  } while (after !== null);
  return items;
}
