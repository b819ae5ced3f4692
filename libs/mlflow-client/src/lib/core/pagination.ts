/**
 * Token pagination as MLflow does it: each page may carry `next_page_token`; an absent or empty
 * token means the last page.
 */

/** One page of results and the token for the next one (undefined on the last page). */
export interface Page<T> {
  items: T[];
  next_page_token?: string;
}

/**
 * The results of a search, fetched page by page as they are consumed:
 * `for await (const version of client.modelVersions.search({ filter }))`.
 * `pages()` walks whole pages; `toArray()` collects everything (mind the size).
 */
export class Paginated<T> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: (pageToken: string | undefined) => Promise<Page<T>>) {}

  async *pages(): AsyncGenerator<Page<T>> {
    let token: string | undefined;
    do {
      const page = await this.fetchPage(token);
      yield page;
      token = page.next_page_token || undefined;
    } while (token);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.items;
  }

  async toArray(): Promise<T[]> {
    const all: T[] = [];
    for await (const item of this) all.push(item);
    return all;
  }
}
