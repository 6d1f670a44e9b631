// arena.mjs — drives the web arena page in the system Chromium through
// playwright-core (no bundled browser): types a prompt holding HTML and
// script, sends it with Ctrl+Enter, waits for both streamed answers, checks
// that nothing was interpreted as HTML, votes "A is better" with the
// keyboard, checks the revealed names, and starts a new round. Prints a
// JSON summary on stdout for tests/integration/test_arena_browser.sh.
// Usage: node arena.mjs URL PROMPT SHOT_DIR
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

const [url, prompt, shotDir] = process.argv.slice(2);
const fail = (msg) => { throw new Error(msg); };

const { page, consoleErrors, close } = await launchChromium({ width: 1100, height: 800 });
try {
  await page.goto(url, { waitUntil: 'load' });
  if (!(await page.title()).includes('Arena')) fail('title: ' + await page.title());

  await page.fill('#prompt', prompt);
  await page.focus('#prompt');
  await page.keyboard.press('Control+Enter');
  // both answers done: the vote buttons are enabled
  await page.waitForFunction(() => {
    const b = document.querySelector('#votes button');
    return b && !b.disabled;
  }, null, { timeout: 20000 });
  const before = await page.evaluate(() => ({
    shown: document.getElementById('shown-prompt').textContent,
    a: document.getElementById('answer-a').textContent,
    b: document.getElementById('answer-b').textContent,
    nameA: document.getElementById('name-a').textContent,
    nameB: document.getElementById('name-b').textContent,
    elements: document.querySelectorAll('#battle img, #battle script, #battle b, #battle i').length,
    pwned: window.__pwned === undefined ? null : window.__pwned,
  }));
  if (before.shown !== prompt) fail('prompt shown as ' + JSON.stringify(before.shown));
  if (before.nameA !== 'Model A' || before.nameB !== 'Model B') fail('names shown before the vote');
  if (before.elements !== 0) fail('model or prompt text became HTML elements');
  if (before.pwned !== null) fail('script from the prompt or an answer ran');
  await page.screenshot({ path: path.join(shotDir, 'arena_before_vote.png'), fullPage: true });

  // vote with the keyboard: focus is on the first vote button; "1" = A is better
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.getElementById('name-a').textContent.startsWith('Model A: '),
                             null, { timeout: 10000 });
  const after = await page.evaluate(() => ({
    nameA: document.getElementById('name-a').textContent.replace(/^Model A: /, ''),
    nameB: document.getElementById('name-b').textContent.replace(/^Model B: /, ''),
    result: document.getElementById('result').textContent,
    votesDisabled: Array.from(document.querySelectorAll('#votes button')).every((b) => b.disabled),
  }));
  if (!after.votesDisabled) fail('vote buttons still enabled after the vote');
  await page.screenshot({ path: path.join(shotDir, 'arena_after_vote.png'), fullPage: true });

  // a second vote from the page is impossible; "n" starts a new round
  await page.keyboard.press('n');
  await page.waitForFunction(() => document.getElementById('battle').hidden, null, { timeout: 5000 });
  const focusOnPrompt = await page.evaluate(() => document.activeElement && document.activeElement.id === 'prompt');
  if (!focusOnPrompt) fail('new round does not focus the prompt');

  // phone-sized view
  await page.setViewportSize({ width: 390, height: 844 });
  await page.fill('#prompt', prompt);
  await page.click('#send');
  await page.waitForFunction(() => !document.querySelector('#votes button').disabled, null, { timeout: 20000 });
  const stacked = await page.evaluate(() => {
    const a = document.getElementById('answer-a').getBoundingClientRect();
    const b = document.getElementById('answer-b').getBoundingClientRect();
    return b.top > a.bottom - 1 && document.documentElement.scrollWidth <= window.innerWidth + 1;
  });
  if (!stacked) fail('answers are not stacked, or the page scrolls sideways, on a phone-sized screen');
  await page.screenshot({ path: path.join(shotDir, 'arena_phone.png'), fullPage: true });

  // the leaderboard view
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.goto(new URL('/leaderboard?source=human', url).toString());
  await page.screenshot({ path: path.join(shotDir, 'arena_leaderboard.png'), fullPage: true });
  const lbText = await page.textContent('main');

  if (consoleErrors.length) fail('console errors: ' + consoleErrors.join(' | '));
  process.stdout.write(JSON.stringify({ answerA: before.a, answerB: before.b, modelA: after.nameA,
                                        modelB: after.nameB, result: after.result, leaderboard: lbText }) + '\n');
} finally {
  await close();
}
