// Where Chromium is and how to start it on this kind of machine; shared by the test runner,
// the set-up script and (later) the headless driver.
import { existsSync } from 'node:fs';

/** Flags that work headless on a closed network (see README). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium binary: `WEFT_CHROMIUM` if set, else the first Debian/Ubuntu location that exists. */
export function chromiumPath() {
  const fromEnv = process.env.WEFT_CHROMIUM;
  if (fromEnv) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? '/usr/bin/chromium';
}
