// The search box's state, shared by the header and the residents list.
import { ipc } from '../ipc';
import type { ResidentSummary } from '../ipc/bindings/ResidentSummary';
import type { Tag } from '../ipc/bindings/Tag';
import type { StatusFilter } from '../ipc/bindings/StatusFilter';

export const search = $state({
  query: '',
  village: '' as string,
  tag: '' as Tag | '',
  /** In the register by default; closed records on request. */
  status: 'active' as StatusFilter,
  results: [] as ResidentSummary[],
  error: '',
  loaded: false,
});

let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

/** Runs the search soon (or now); a slower, older answer never replaces a newer one. */
export function runSearch(now = false): void {
  clearTimeout(timer);
  timer = setTimeout(
    async () => {
      const mine = ++generation;
      try {
        const results = await ipc.searchResidents({
          query: search.query,
          village: search.village || null,
          tag: search.tag || null,
          status: search.status,
          limit: 100,
        });
        if (mine === generation) {
          search.results = results;
          search.error = '';
          search.loaded = true;
        }
      } catch (e) {
        if (mine === generation) search.error = (e as Error).message;
      }
    },
    now ? 0 : 120,
  );
}
