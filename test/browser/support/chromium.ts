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
