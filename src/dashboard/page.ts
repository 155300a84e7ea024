/**
 * The dashboard's one HTML page (both views: the script reads which from the address). Settings
 * the script needs travel as data attributes: the page runs no inline script (CSP script-src 'self').
 */
export interface PageSettings {
  /** the pipeline's flush interval: data older than a refresh plus this is called stale */
  flushIntervalMs: number;
  /** ISO 4217 code costs are shown in */
  currency: string;
}

export function dashboardPage({ flushIntervalMs, currency }: PageSettings): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pacproxy dashboard</title>
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script src="/dashboard/assets/uPlot.iife.min.js" defer></script>
<script type="module" src="/dashboard/assets/main.js"></script>
</head>
<body data-flush-interval-ms="${flushIntervalMs}" data-currency="${currency}">
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1><a href="/dashboard">Pacproxy</a> · <span id="title">Statistics</span></h1>
  <div class="controls">
    <a id="back" href="/dashboard" hidden>← All keystems</a>
    <label>Range
      <select id="range">
        <option value="24h">Last 24 h</option>
        <option value="7d">Last 7 days</option>
        <option value="30d">Last 30 days</option>
        <option value="12mo">Last 12 months</option>
        <option value="custom">Custom…</option>
      </select>
    </label>
    <form id="custom" hidden>
      <label>From <input type="date" id="from" required></label>
      <label>To <input type="date" id="to" required></label>
      <button type="submit">Show</button>
    </form>
    <button type="button" id="pause" aria-pressed="false">Pause refresh</button>
    <a id="csv" href="#">Download CSV</a>
    <button type="button" id="show-token">API token…</button>
  </div>
  <form id="token-form" class="controls" hidden>
    <label>Read token <input type="password" id="token" autocomplete="off"></label>
    <button type="submit">Use token</button>
  </form>
  <p id="status">Loading…</p>
  <p id="zone" class="muted"></p>
  <p id="stale" class="note" role="status" hidden></p>
  <p id="alert" class="note" role="alert" hidden></p>
</header>
<main id="main">
  <section aria-labelledby="h-range">
    <h2 id="h-range">In this range</h2>
    <p id="no-data" class="note" hidden>No traffic recorded in this range yet.</p>
    <dl id="headline"></dl>
  </section>
  <section aria-labelledby="h-charts">
    <h2 id="h-charts">Over time</h2>
    <div id="charts" class="charts"></div>
  </section>
  <section id="keystem-details" aria-labelledby="h-boxes" hidden>
    <h2 id="h-boxes">Box types</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="h-boxes">
      <table><thead><tr><th scope="col">Box type</th><th scope="col">Count</th><th scope="col">Avg utilization</th><th scope="col">Cost</th></tr></thead><tbody id="box-types"></tbody></table>
    </div>
    <h2 id="h-codes">Status codes</h2>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="h-codes">
      <table><thead><tr><th scope="col">Status</th><th scope="col">Requests</th></tr></thead><tbody id="status-codes"></tbody></table>
    </div>
  </section>
  <section id="keystems-section" aria-labelledby="h-keystems">
    <h2 id="h-keystems">Keystems (all time)</h2>
    <div class="pager">
      <label>Filter by name <input type="search" id="filter" autocomplete="off"></label>
      <span id="keystem-count" aria-live="polite"></span>
    </div>
    <div class="table-wrap" tabindex="0" role="region" aria-labelledby="h-keystems">
      <table id="keystems"><thead><tr id="keystem-columns"></tr></thead><tbody id="keystem-rows"></tbody></table>
    </div>
    <div class="pager">
      <button type="button" id="prev-page">Previous page</button>
      <button type="button" id="next-page">Next page</button>
    </div>
  </section>
</main>
</body>
</html>
`;
}
