/** What every list route answers: one page of items and the cursor of the next page. */
export interface PageResponse<T> {
  /** The items of this page. */
  items: T[];
  /** Cursor for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** Fetches the page that starts at `cursor` (`undefined` for the first page). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<PageResponse<T>>;

/**
 * One page of a list. Iterating a page with `for await` continues through all the following
 * pages; use `items` for this page alone.
 */
export class Page<T> implements PageResponse<T>, AsyncIterable<T> {
  /** The items of this page. */
  readonly items: T[];
  /** Cursor for the next page; `null` on the last page. */
  readonly nextCursor: string | null;

  constructor(
    response: PageResponse<T>,
    private readonly fetchPage: PageFetcher<T>,
  ) {
    this.items = response.items ?? [];
    this.nextCursor = response.nextCursor ?? null;
  }

  /** True when another page follows this one. */
  hasNextPage(): boolean {
    return this.nextCursor !== null && this.nextCursor !== '';
  }

  /** Fetches the next page. Throws when there is none; check `hasNextPage()` first. */
  async getNextPage(): Promise<Page<T>> {
    if (!this.hasNextPage()) throw new Error('No next page; check hasNextPage() first');
    return new Page(await this.fetchPage(this.nextCursor ?? undefined), this.fetchPage);
  }

  /** Yields this page and every page after it. */
  async *iterPages(): AsyncGenerator<Page<T>, void, undefined> {
    yield this;
    let next = this.hasNextPage() ? await this.getNextPage() : undefined;
    while (next) {
      yield next;
      next = next.hasNextPage() ? await next.getNextPage() : undefined;
    }
  }

  /** Yields every item of this page and the following pages. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.iterPages()) yield* page.items;
  }
}

/**
 * What a `list()` method returns. `await` it for the first {@link Page}, or iterate it with
 * `for await` to walk every item of every page:
 *
 * ```ts
 * const first = await client.artifacts.list(org, orbit, { limit: 20 });
 * for await (const artifact of client.artifacts.list(org, orbit, { sort: 'metrics.accuracy' })) { … }
 * ```
 *
 * The first page is requested once, when first needed, and shared by all consumers.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  private first?: Promise<Page<T>>;

  constructor(private readonly fetchPage: PageFetcher<T>) {}

  /** The first page. */
  page(): Promise<Page<T>> {
    this.first ??= this.fetchPage(undefined).then((r) => new Page(r, this.fetchPage));
    return this.first;
  }

  /** Collects every item of every page into one array. Mind the size of what you list. */
  async toArray(): Promise<T[]> {
    const all: T[] = [];
    for await (const item of this) all.push(item);
    return all;
  }

  then<R1 = Page<T>, R2 = never>(
    onfulfilled?: ((value: Page<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.page().then(onfulfilled, onrejected);
  }

  /** Like `Promise.prototype.catch`, on the first page. */
  catch<R = never>(
    onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<Page<T> | R> {
    return this.page().catch(onrejected);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    yield* await this.page();
  }
}
