import { chromium, type BrowserContext } from 'playwright-core';

type ContextOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

/**
 * Debian's chromium (the CI installs the package), headless, with the flags that keep it off the
 * network on its own: without them it tries Google's hosts at every start on this closed network.
 */
export function launchChromium(userDataDir: string, options: ContextOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ...options,
  });
}

/** What a watched browser saw: requests it was not allowed to make, and console errors. */
export interface BrowserWatch {
  outside: string[];
  consoleErrors: string[];
}

/**
 * Cuts off every request `allowed` refuses (recording it), records CSP violations in
 * `window.__csp` of every page, and collects console errors: what each page test asserts on.
 */
export async function watchBrowser(
  context: BrowserContext,
  allowed: (url: URL) => boolean,
  watch: BrowserWatch = { outside: [], consoleErrors: [] },
): Promise<BrowserWatch> {
  await context.route(
    (url) => !allowed(url),
    (route) => {
      watch.outside.push(route.request().url());
      return route.abort();
    },
  );
  await context.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  `);
  context.on('console', (m) => {
    if (m.type() === 'error') watch.consoleErrors.push(m.text());
  });
  return watch;
}
