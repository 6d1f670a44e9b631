// arena_tiny.mjs — asks the web arena page questions in headless Chromium
// (playwright-core, the system Chromium) and reports both anonymous
// answers and, after a tie vote, the revealed model names, one round per
// question. tests/integration/test_arena_tiny_browser.sh serves the
// shipped tianti-tiny model and checks the answers.
// Usage: node arena_tiny.mjs URL SHOT_DIR QUESTION...
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

const [url, shotDir, ...questions] = process.argv.slice(2);
const fail = (msg) => { throw new Error(msg); };

const { page, consoleErrors, close } = await launchChromium({ width: 1100, height: 800 });
try {
  await page.goto(url, { waitUntil: 'load' });
  const rounds = [];
  for (const [i, q] of questions.entries()) {
    await page.fill('#prompt', q);
    await page.click('#send');
    await page.waitForFunction(() => {
      const b = document.querySelector('#votes button');
      return b && !b.disabled;
    }, null, { timeout: 30000 });
    const shown = await page.evaluate(() => ({
      prompt: document.getElementById('shown-prompt').textContent,
      a: document.getElementById('answer-a').textContent,
      b: document.getElementById('answer-b').textContent,
    }));
    if (shown.prompt !== q) fail('prompt shown as ' + JSON.stringify(shown.prompt));
    await page.screenshot({ path: path.join(shotDir, `arena_tiny_${i + 1}.png`), fullPage: true });
    // a tie: the vote reveals the names
    await page.click('#votes button[data-vote="tie"]');
    await page.waitForFunction(() => document.getElementById('name-a').textContent.startsWith('Model A: '),
                               null, { timeout: 10000 });
    const names = await page.evaluate(() => ({
      a: document.getElementById('name-a').textContent.replace(/^Model A: /, ''),
      b: document.getElementById('name-b').textContent.replace(/^Model B: /, ''),
    }));
    rounds.push({ question: q, answerA: shown.a, answerB: shown.b, modelA: names.a, modelB: names.b });
    await page.keyboard.press('n');
    await page.waitForFunction(() => document.getElementById('battle').hidden, null, { timeout: 5000 });
  }
  if (consoleErrors.length) fail('console errors: ' + consoleErrors.join(' | '));
  process.stdout.write(JSON.stringify(rounds) + '\n');
} finally {
  await close();
}
