// multiturn.mjs — drives the arena page through a three-turn battle in the
// system Chromium (playwright-core, no bundled browser): a first prompt,
// two follow-ups typed into the follow-up box (Ctrl+Enter and the button),
// the earlier turns kept in each side's history, a vote with the keyboard,
// the names revealed; then a prompt the moderation refuses (the message is
// shown, no battle starts), and a refused follow-up that leaves the battle
// as it was. Prints a JSON summary for
// tests/integration/test_arena_multiturn_browser.sh.
// Usage: node multiturn.mjs URL SHOT_DIR
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

const [url, shotDir] = process.argv.slice(2);
const fail = (msg) => { throw new Error(msg); };
const turns = ['Name a prime number.', 'Is it even?', 'Add one to it.'];

const { page, pageErrors: consoleErrors, close } = await launchChromium({ width: 1100, height: 900 });
const bothDone = async (page) => page.waitForFunction(() => {
  const b = document.querySelector('#votes button');
  return b && !b.disabled;
}, null, { timeout: 20000 });
const view = (page) => page.evaluate(() => ({
  shown: document.getElementById('shown-prompt').textContent,
  a: document.getElementById('answer-a').textContent,
  b: document.getElementById('answer-b').textContent,
  historyA: Array.from(document.querySelectorAll('#history-a .turn')).map((t) => t.textContent),
  historyB: Array.from(document.querySelectorAll('#history-b .turn')).map((t) => t.textContent),
  followupHidden: document.getElementById('followup').hidden,
  followupDisabled: document.getElementById('followup-send').disabled,
  turns: document.getElementById('turns').textContent,
  error: document.getElementById('error').textContent,
  nameA: document.getElementById('name-a').textContent,
  nameB: document.getElementById('name-b').textContent,
  battleHidden: document.getElementById('battle').hidden,
}));
try {
  await page.goto(url, { waitUntil: 'load' });

  // turn 1
  await page.fill('#prompt', turns[0]);
  await page.focus('#prompt');
  await page.keyboard.press('Control+Enter');
  await bothDone(page);
  let v = await view(page);
  if (v.followupHidden || v.followupDisabled) fail('no follow-up box after the first turn');
  const answers = [{ a: v.a, b: v.b }];
  // turn 2 with Ctrl+Enter in the follow-up box; typing digits there must not vote
  await page.fill('#followup-prompt', turns[1]);
  await page.focus('#followup-prompt');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.querySelectorAll('#history-a .turn').length === 1, null, { timeout: 10000 });
  await bothDone(page);
  v = await view(page);
  if (v.shown !== turns[1]) fail('turn 2 prompt shown as ' + JSON.stringify(v.shown));
  answers.push({ a: v.a, b: v.b });
  // turn 3 with the button
  await page.fill('#followup-prompt', turns[2]);
  await page.click('#followup-send');
  await page.waitForFunction(() => document.querySelectorAll('#history-a .turn').length === 2, null, { timeout: 10000 });
  await bothDone(page);
  v = await view(page);
  answers.push({ a: v.a, b: v.b });
  if (v.historyA.length !== 2 || v.historyB.length !== 2) fail('history: ' + JSON.stringify(v));
  if (!v.historyA[0].includes(turns[0]) || !v.historyA[0].includes(answers[0].a)) fail('turn 1 not kept: ' + v.historyA[0]);
  if (!v.historyB[1].includes(turns[1]) || !v.historyB[1].includes(answers[1].b)) fail('turn 2 not kept: ' + v.historyB[1]);
  if (!/Turn 3 of at most 3/.test(v.turns) || !v.followupDisabled) fail('turn cap not shown: ' + JSON.stringify(v));
  if (v.nameA !== 'Model A' || v.nameB !== 'Model B') fail('names shown before the vote');
  await page.screenshot({ path: path.join(shotDir, 'multiturn_before_vote.png'), fullPage: true });

  // vote "A is better" with the keyboard (focus is on the first vote button)
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.getElementById('name-a').textContent.startsWith('Model A: '),
                             null, { timeout: 10000 });
  v = await view(page);
  const modelA = v.nameA.replace(/^Model A: /, ''), modelB = v.nameB.replace(/^Model B: /, '');
  if (!v.followupHidden) fail('follow-up still offered after the vote');
  await page.screenshot({ path: path.join(shotDir, 'multiturn_after_vote.png'), fullPage: true });

  // a prompt the moderation refuses: the message, and no battle
  await page.keyboard.press('n');
  await page.waitForFunction(() => document.getElementById('battle').hidden, null, { timeout: 5000 });
  await page.fill('#prompt', 'Something forbidden, please.');
  await page.click('#send');
  await page.waitForFunction(() => document.getElementById('error').textContent.length > 0, null, { timeout: 10000 });
  v = await view(page);
  const refusal = v.error;
  if (!v.battleHidden) fail('a battle started for a refused prompt');
  await page.screenshot({ path: path.join(shotDir, 'multiturn_moderated.png'), fullPage: true });

  // a refused follow-up leaves the battle as it was
  await page.fill('#prompt', turns[0]);
  await page.click('#send');
  await bothDone(page);
  const beforeRefusal = await view(page);
  await page.fill('#followup-prompt', 'A forbidden follow-up.');
  await page.click('#followup-send');
  await page.waitForFunction(() => document.getElementById('error').textContent.length > 0, null, { timeout: 10000 });
  await bothDone(page);
  const afterRefusal = await view(page);
  if (afterRefusal.historyA.length !== 0 || afterRefusal.a !== beforeRefusal.a || afterRefusal.shown !== turns[0])
    fail('a refused follow-up changed the battle: ' + JSON.stringify(afterRefusal));
  if (consoleErrors.length) fail('page errors: ' + consoleErrors.join('; '));
  console.log(JSON.stringify({ modelA, modelB, answers, refusal, followupRefusal: afterRefusal.error }));
} finally {
  await close();
}
