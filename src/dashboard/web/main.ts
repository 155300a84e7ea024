import { ApiError, getAllKeystems, getApi, getHistory, readToken } from './api.js';
import { Charts, chartSpecs } from './charts.js';
import {
  formatAge,
  formatCount,
  formatDateTime,
  formatLatency,
  formatMoney,
  formatPercent,
} from './format.js';
import {
  customRange,
  historyQuery,
  isStale,
  PRESETS,
  presetRange,
  usableZone,
  type Preset,
  type Range,
} from './range.js';
import { chartSeries, rangeTotals, type RangeTotals } from './series.js';
import { COLUMN_LABELS, COLUMNS, errorRate, tableView, type Column, type TableState } from './table.js';
import type { KeystemItem } from './types.js';

/**
 * The page: reads its view from the URL (/dashboard or /dashboard/keystem/{keystem}, ?range=),
 * fetches the history and the keystem list, and redraws every `refresh` seconds until paused.
 */

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

const settings = document.body.dataset;
const FLUSH_INTERVAL_MS = Number(settings.flushIntervalMs);
const CURRENCY = settings.currency ?? 'USD';
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.max(1, Number(params.get('refresh')) || 10) * 1000;
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const TIME_ZONE = usableZone(BROWSER_ZONE, Date.now());
const keystemMatch = /^\/dashboard\/keystem\/([^/]+)\/?$/.exec(location.pathname);
const KEYSTEM = keystemMatch ? decodeURIComponent(keystemMatch[1]!) : null;
const HISTORY_PATH = KEYSTEM
  ? `/api/keydata/${encodeURIComponent(KEYSTEM)}/history`
  : '/api/keydata/all/history';

const money = (cents: number | null) => formatMoney(cents, CURRENCY);
const charts = new Charts(
  $('charts'),
  chartSpecs({
    count: (v) => formatCount(v),
    ms: (v) => formatLatency(v * 1e6),
    percent: (v) => formatPercent(v / 100),
    money: (v) => money(v * 100),
  }),
  TIME_ZONE,
);

// ---- state ----
let selected: Preset | 'custom' = PRESETS.includes(params.get('range') as Preset)
  ? (params.get('range') as Preset)
  : params.get('from') && params.get('to')
    ? 'custom'
    : '24h';
let customFrom = params.get('from') ?? '';
let customTo = params.get('to') ?? '';
let paused = false;
let lastSuccessAt: number | null = null;
let timer: number | undefined;
let inFlight: AbortController | null = null;
let keystems: KeystemItem[] = [];
const table: TableState = {
  filter: '',
  sortBy: 'totalRequests',
  direction: 'descending',
  page: 0,
  pageSize: 50,
};

function currentRange(): Range | { error: string } {
  return selected === 'custom'
    ? customRange(customFrom, customTo, TIME_ZONE)
    : presetRange(selected, Date.now(), TIME_ZONE);
}

/** The range in the address bar, so a view can be linked and reloaded. */
function rangeParams(): URLSearchParams {
  const p = new URLSearchParams();
  if (selected === 'custom') {
    p.set('from', customFrom);
    p.set('to', customTo);
  } else p.set('range', selected);
  if (params.has('refresh')) p.set('refresh', params.get('refresh')!);
  return p;
}

// ---- messages ----
function showAlert(message: string | null): void {
  const alert = $('alert');
  alert.hidden = message === null;
  alert.textContent = message ?? '';
}

function showStatus(): void {
  const parts: string[] = [];
  if (lastSuccessAt !== null) parts.push(`Updated ${new Date(lastSuccessAt).toLocaleTimeString()}`);
  parts.push(paused ? 'refresh paused' : `refreshing every ${REFRESH_MS / 1000} s`);
  $('status').textContent = parts.join(' · ');
  const stale = lastSuccessAt !== null && isStale(lastSuccessAt, Date.now(), REFRESH_MS, FLUSH_INTERVAL_MS);
  const staleNote = $('stale');
  staleNote.hidden = !stale;
  if (stale)
    staleNote.textContent = `Data is from ${formatAge(Date.now() - lastSuccessAt!)}, older than the pipeline's freshness (${(REFRESH_MS + FLUSH_INTERVAL_MS) / 1000} s).`;
}

// ---- rendering ----
function headline(totals: RangeTotals): void {
  const items: [string, string][] = [
    ['Requests', formatCount(totals.totalRequests)],
    ['Error rate', formatPercent(totals.errorRate)],
    ['Cache hit rate', formatPercent(totals.cacheHitRate)],
    ['Avg latency', formatLatency(totals.avgLatency)],
    ['Max latency', formatLatency(totals.maxLatency)],
    ['Packs', formatCount(totals.packs)],
    ['Avg utilization', formatPercent(totals.avgVolumeUtilization)],
    ['Cost', money(totals.totalCost)],
    ['Avg cost per pack', money(totals.avgCostPerPack)],
    ['Leftovers', formatCount(totals.totalLeftovers)],
  ];
  const list = $('headline');
  list.replaceChildren(
    ...items.map(([name, value]) => {
      const item = el('div');
      item.dataset.metric = name;
      item.append(el('dt', name), el('dd', value));
      return item;
    }),
  );
  $('no-data').hidden = totals.totalRequests > 0;
}

function fillTable(body: HTMLElement, rows: string[][]): void {
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = el('tr');
      cells.forEach((c, i) =>
        tr.append(i === 0 ? Object.assign(el('th', c), { scope: 'row' }) : el('td', c)),
      );
      return tr;
    }),
  );
}

function keystemDetails(totals: RangeTotals): void {
  fillTable(
    $('box-types'),
    totals.boxTypes.map((b) => [
      b.refId,
      formatCount(b.count),
      formatPercent(b.avgVolumeUtilization),
      money(b.totalCost),
    ]),
  );
  fillTable(
    $('status-codes'),
    Object.entries(totals.statusCodes)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, n]) => [code === '0' ? '0 (no answer)' : code, formatCount(n)]),
  );
}

const COLUMN_CELL: Record<Column, (i: KeystemItem) => string> = {
  usedKeystem: (i) => i.usedKeystem,
  totalRequests: (i) => formatCount(i.totalRequests),
  errorRate: (i) => formatPercent(errorRate(i)),
  avgVolumeUtilization: (i) => formatPercent(i.avgVolumeUtilization),
  avgCostPerPack: (i) => money(i.avgCostPerPack),
  updatedAt: (i) => formatDateTime(i.updatedAt, TIME_ZONE),
};

function renderTable(): void {
  const view = tableView(keystems, table);
  table.page = view.page;
  const link = rangeParams().toString();
  $('keystem-rows').replaceChildren(
    ...view.rows.map((item) => {
      const tr = el('tr');
      for (const column of COLUMNS) {
        if (column === 'usedKeystem') {
          const th = el('th');
          th.scope = 'row';
          const a = el('a', item.usedKeystem);
          a.href = `/dashboard/keystem/${encodeURIComponent(item.usedKeystem)}?${link}`;
          th.append(a);
          tr.append(th);
        } else tr.append(el('td', COLUMN_CELL[column](item)));
      }
      return tr;
    }),
  );
  for (const th of document.querySelectorAll<HTMLElement>('#keystems th[data-column]')) {
    th.setAttribute('aria-sort', th.dataset.column === table.sortBy ? table.direction : 'none');
  }
  const count =
    keystems.length === 0
      ? 'No data yet: no keystem has recorded traffic.'
      : `${formatCount(view.matching)} of ${formatCount(keystems.length)} keystems · page ${view.page + 1} of ${view.pages}`;
  // a live region: touched only when it says something new, not on every refresh
  if ($('keystem-count').textContent !== count) $('keystem-count').textContent = count;
  $<HTMLButtonElement>('prev-page').disabled = view.page === 0;
  $<HTMLButtonElement>('next-page').disabled = view.page >= view.pages - 1;
}

// ---- refresh ----
async function refresh(): Promise<void> {
  window.clearTimeout(timer);
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  const range = currentRange();
  if ('error' in range) {
    showAlert(range.error);
    return;
  }
  const query = historyQuery(range, TIME_ZONE);
  const csv = $<HTMLAnchorElement>('csv');
  csv.href = `${HISTORY_PATH}?${historyQuery(range, TIME_ZONE, { format: 'csv' })}`;
  try {
    const [answer, list] = await Promise.all([
      getHistory(`${HISTORY_PATH}?${query}`, controller.signal),
      KEYSTEM ? null : getAllKeystems(controller.signal),
    ]);
    const totals = rangeTotals(answer.points);
    headline(totals);
    charts.show(chartSeries(answer.points));
    if (KEYSTEM) keystemDetails(totals);
    if (list) {
      keystems = list;
      renderTable();
    }
    lastSuccessAt = Date.now();
    showAlert(null);
  } catch (err) {
    if (controller.signal.aborted) return;
    showAlert(describe(err));
  } finally {
    if (inFlight === controller) inFlight = null;
    showStatus();
    if (!paused && !controller.signal.aborted) timer = window.setTimeout(() => void refresh(), REFRESH_MS);
  }
}

function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401 || err.status === 403) {
      $('token-form').hidden = false;
      return `The statistics API refused access (${err.status}): ${err.message}. Enter a read token below.`;
    }
    if (err.status === 404 && KEYSTEM) return `No data yet for keystem ${KEYSTEM}.`;
    return `The statistics API answered ${err.status}: ${err.message}`;
  }
  return `The statistics API could not be reached: ${err instanceof Error ? err.message : String(err)}`;
}

/** The CSV link carries no header; with a token, fetch it and hand the browser the file. */
async function downloadCsv(event: MouseEvent): Promise<void> {
  if (!readToken.get()) return;
  event.preventDefault();
  const link = event.currentTarget as HTMLAnchorElement;
  try {
    const blob = await (await getApi(link.href)).blob();
    const url = URL.createObjectURL(blob);
    const a = el('a');
    a.href = url;
    a.download = link.download;
    a.click();
    URL.revokeObjectURL(url);
  } catch (err) {
    showAlert(describe(err));
  }
}

// ---- controls ----
function setUp(): void {
  $('title').textContent = KEYSTEM ? `Keystem ${KEYSTEM}` : 'All keystems';
  $('zone').textContent =
    TIME_ZONE === BROWSER_ZONE
      ? `Times in ${TIME_ZONE}.`
      : `Times in UTC: statistics are kept per UTC hour, and ${BROWSER_ZONE} is not a whole number of hours from UTC.`;
  document.title = `${KEYSTEM ? `${KEYSTEM} · ` : ''}Pacproxy dashboard`;
  $('keystem-details').hidden = !KEYSTEM;
  $('keystems-section').hidden = Boolean(KEYSTEM);
  $('back').hidden = !KEYSTEM;
  const csv = $<HTMLAnchorElement>('csv');
  csv.download = `${KEYSTEM ?? 'all'}-history.csv`;
  csv.addEventListener('click', (e) => void downloadCsv(e));

  const rangeSelect = $<HTMLSelectElement>('range');
  rangeSelect.value = selected;
  const from = $<HTMLInputElement>('from');
  const to = $<HTMLInputElement>('to');
  from.value = customFrom;
  to.value = customTo;
  $('custom').hidden = selected !== 'custom';
  const apply = () => {
    history.replaceState(null, '', `${location.pathname}?${rangeParams()}`);
    void refresh();
  };
  rangeSelect.addEventListener('change', () => {
    selected = rangeSelect.value as Preset | 'custom';
    $('custom').hidden = selected !== 'custom';
    if (selected !== 'custom') apply();
  });
  $('custom').addEventListener('submit', (e) => {
    e.preventDefault();
    customFrom = from.value;
    customTo = to.value;
    apply();
  });

  const pause = $<HTMLButtonElement>('pause');
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    pause.textContent = paused ? 'Resume refresh' : 'Pause refresh';
    if (paused) window.clearTimeout(timer);
    else void refresh();
    showStatus();
  });

  const tokenInput = $<HTMLInputElement>('token');
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    readToken.set(tokenInput.value.trim());
    tokenInput.value = '';
    void refresh();
  });
  $('show-token').addEventListener('click', () => {
    const form = $('token-form');
    form.hidden = !form.hidden;
    if (!form.hidden) tokenInput.focus();
  });

  if (!KEYSTEM) {
    $('keystem-columns').replaceChildren(
      ...COLUMNS.map((column) => {
        const th = el('th');
        th.scope = 'col';
        th.dataset.column = column;
        th.append(Object.assign(el('button', COLUMN_LABELS[column]), { type: 'button' }));
        return th;
      }),
    );
    $<HTMLInputElement>('filter').addEventListener('input', (e) => {
      table.filter = (e.target as HTMLInputElement).value;
      table.page = 0;
      renderTable();
    });
    for (const button of document.querySelectorAll<HTMLButtonElement>('#keystems th[data-column] button')) {
      button.addEventListener('click', () => {
        const column = button.closest<HTMLElement>('th')!.dataset.column as Column;
        table.direction =
          table.sortBy === column
            ? table.direction === 'ascending'
              ? 'descending'
              : 'ascending'
            : column === 'usedKeystem'
              ? 'ascending'
              : 'descending';
        table.sortBy = column;
        renderTable();
      });
    }
    $('prev-page').addEventListener('click', () => {
      table.page -= 1;
      renderTable();
    });
    $('next-page').addEventListener('click', () => {
      table.page += 1;
      renderTable();
    });
  }
  // the stale note appears on its own when refreshes stop succeeding
  window.setInterval(() => {
    if (
      lastSuccessAt !== null &&
      isStale(lastSuccessAt, Date.now(), REFRESH_MS, FLUSH_INTERVAL_MS) === $('stale').hidden
    )
      showStatus();
  }, 1000);
}

setUp();
void refresh();
