// chromium.mjs — what every browser test here starts with: the system
// Chromium (CHROMIUM, default /usr/bin/chromium) driven by playwright-core
// in a throw-away profile, headless, with no background traffic, and the
// page's errors collected: consoleErrors has console errors and uncaught
// exceptions, pageErrors the exceptions alone (for a page that is expected
// to log a refused request). close() shuts it and removes the profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export async function launchChromium(viewport) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tianti-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport,
  });
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [], pageErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => { consoleErrors.push(String(e)); pageErrors.push(String(e)); });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, page, consoleErrors, pageErrors, close };
}
