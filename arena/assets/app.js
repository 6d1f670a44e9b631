// app.js — the arena page: sends a prompt, shows the two anonymous answers
// as they stream in (newline-delimited JSON events over one fetch), lets
// the voter ask follow-up turns (both models see the whole conversation)
// or regenerate the last turn, takes the vote, then reveals the names.
// Everything from the server or the models is shown with textContent,
// never parsed as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const voteButtons = Array.from(document.querySelectorAll('#votes button'));
  let battle = null;        // {id, token}
  let busy = false;
  let done = {a: false, b: false};
  let failed = {a: false, b: false};
  let voted = false;
  let turn = 0;             // turns of this battle so far
  let maxTurns = 50;

  function setError(msg) { $('error').textContent = msg || ''; }
  function setVoting(on) { voteButtons.forEach((b) => { b.disabled = !on; }); }

  async function jsonOf(resp) {
    try { return await resp.json(); } catch (e) { return {}; }
  }

  async function loadConfig() {
    try {
      const resp = await fetch('/api/config');
      const c = await jsonOf(resp);
      if (c.has_prompts) $('draw').hidden = false;
      if (c.max_prompt_chars) {
        $('prompt').maxLength = c.max_prompt_chars;
        $('followup-prompt').maxLength = c.max_prompt_chars;
      }
      if (c.max_turns) maxTurns = c.max_turns;
    } catch (e) { /* the page still works without it */ }
  }

  async function drawPrompt() {
    try {
      const resp = await fetch('/api/prompt');
      const j = await jsonOf(resp);
      if (resp.ok && typeof j.prompt === 'string') { $('prompt').value = j.prompt; $('prompt').focus(); }
      else setError(j.error || 'No prompt could be drawn.');
    } catch (e) { setError('The server could not be reached.'); }
  }

  // The answers of the turn on screen, cleared for a new generation.
  function clearAnswers() {
    done = {a: false, b: false};
    failed = {a: false, b: false};
    for (const side of ['a', 'b']) {
      $('answer-' + side).textContent = '';
      $('status-' + side).textContent = 'Generating…';
    }
    setVoting(false);
    showFollowup(false);
  }

  function resetView(text) {
    battle = null;
    voted = false;
    turn = 0;
    for (const side of ['a', 'b']) {
      $('history-' + side).textContent = '';
      $('name-' + side).textContent = 'Model ' + side.toUpperCase();
    }
    $('shown-prompt').textContent = text;
    $('result').textContent = '';
    $('new-round').hidden = true;
    clearAnswers();
    $('battle').hidden = false;
  }

  // Moves the turn on screen into each side's history.
  function archiveTurn() {
    const prompt = $('shown-prompt').textContent;
    for (const side of ['a', 'b']) {
      const div = document.createElement('div');
      div.className = 'turn';
      const you = document.createElement('p');
      you.className = 'you text';
      you.textContent = prompt;
      const ans = document.createElement('div');
      ans.className = 'text';
      ans.textContent = $('answer-' + side).textContent;
      div.appendChild(you);
      div.appendChild(ans);
      $('history-' + side).appendChild(div);
    }
  }

  // Takes the last archived turn back onto the screen (a refused follow-up).
  function unarchiveTurn(prompt, answers) {
    for (const side of ['a', 'b']) {
      const h = $('history-' + side);
      if (h.lastChild) h.removeChild(h.lastChild);
      $('answer-' + side).textContent = answers[side];
      $('status-' + side).textContent = '';
    }
    $('shown-prompt').textContent = prompt;
    done = {a: true, b: true};
    setVoting(true);
    showFollowup(true);
  }

  function showFollowup(on) {
    const f = $('followup');
    f.hidden = !on;
    const canAsk = on && turn < maxTurns && !failed.a && !failed.b;
    $('followup-prompt').disabled = !canAsk;
    $('followup-send').disabled = !canAsk;
    $('regenerate').disabled = !on;
    $('turns').textContent = on ? ('Turn ' + turn + ' of at most ' + maxTurns +
      (turn >= maxTurns ? ': the limit is reached, please vote.' : '.')) : '';
  }

  function handle(ev) {
    if (ev.type === 'battle') {
      if (ev.token) battle = {id: ev.id, token: ev.token};
      if (typeof ev.turn === 'number') turn = ev.turn;
    } else if (ev.type === 'token' && (ev.side === 'a' || ev.side === 'b')) {
      $('answer-' + ev.side).appendChild(document.createTextNode(String(ev.text)));
    } else if (ev.type === 'done' && (ev.side === 'a' || ev.side === 'b')) {
      done[ev.side] = true;
      failed[ev.side] = !!ev.failed;
      if (typeof ev.text === 'string') $('answer-' + ev.side).textContent = ev.text;
      $('status-' + ev.side).textContent = ev.failed ? 'This model failed to answer.' : '';
      if (done.a && done.b && battle) {
        setVoting(true);
        showFollowup(true);
        voteButtons[0].focus();
      }
    } else if (ev.type === 'error') {
      setError(String(ev.message || 'The answers could not be generated.'));
    }
  }

  // POSTs body to url and reads the event stream. Returns the HTTP error
  // body when the request was refused, or null.
  async function stream(url, body) {
    let resp;
    try {
      resp = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    } catch (e) {
      return {error: 'The server could not be reached.'};
    }
    if (!resp.ok) {
      const j = await jsonOf(resp);
      return {error: j.error || ('The request failed (' + resp.status + ').'), status: resp.status};
    }
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const {value, done: end} = await reader.read();
        if (end) break;
        buf += decoder.decode(value, {stream: true});
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) handle(JSON.parse(line));
        }
      }
    } catch (e) {
      setError('The connection was interrupted.');
    }
    return null;
  }

  async function send() {
    const text = $('prompt').value;
    if (busy || !text.trim()) return;
    busy = true;
    setError('');
    $('send').disabled = true;
    $('prompt').disabled = true;
    resetView(text);
    const refused = await stream('/api/battle', {prompt: text});
    busy = false;
    if (refused) {
      setError(refused.error);
      $('battle').hidden = true;
    }
    if (refused || !(done.a && done.b)) {
      $('send').disabled = false;
      $('prompt').disabled = false;
    }
  }

  async function followUp() {
    const text = $('followup-prompt').value;
    if (busy || voted || !battle || !text.trim() || !(done.a && done.b)) return;
    busy = true;
    setError('');
    const before = {prompt: $('shown-prompt').textContent,
                    answers: {a: $('answer-a').textContent, b: $('answer-b').textContent}};
    archiveTurn();
    $('shown-prompt').textContent = text;
    clearAnswers();
    const refused = await stream('/api/battle', {battle: battle.id, token: battle.token, prompt: text});
    busy = false;
    if (refused) {
      setError(refused.error);
      unarchiveTurn(before.prompt, before.answers);
      return;
    }
    $('followup-prompt').value = '';
  }

  async function regenerate() {
    if (busy || voted || !battle || !(done.a && done.b)) return;
    busy = true;
    setError('');
    const before = {prompt: $('shown-prompt').textContent,
                    answers: {a: $('answer-a').textContent, b: $('answer-b').textContent}};
    clearAnswers();
    const refused = await stream('/api/regenerate', {battle: battle.id, token: battle.token});
    busy = false;
    if (refused) {
      setError(refused.error);
      archiveTurn();   // put the answers back the way unarchiveTurn expects
      unarchiveTurn(before.prompt, before.answers);
    }
  }

  const verdicts = {a: 'You preferred Model A.', b: 'You preferred Model B.', tie: 'You called it a tie.',
                    bothbad: 'You found both answers bad.'};

  async function vote(kind) {
    if (!battle || voted || busy || !(done.a && done.b)) return;
    setVoting(false);
    let resp;
    try {
      resp = await fetch('/api/vote', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({battle: battle.id, token: battle.token, vote: kind}),
      });
    } catch (e) {
      setError('The server could not be reached.');
      setVoting(true);
      return;
    }
    const j = await jsonOf(resp);
    if (!resp.ok) {
      setError(j.error || ('The vote was not accepted (' + resp.status + ').'));
      if (resp.status !== 409) setVoting(true);
      return;
    }
    voted = true;
    setError('');
    showFollowup(false);
    $('name-a').textContent = 'Model A: ' + String(j.model_a);
    $('name-b').textContent = 'Model B: ' + String(j.model_b);
    $('result').textContent = verdicts[kind] + ' Thank you for voting.';
    $('new-round').hidden = false;
    $('new-round').focus();
  }

  function newRound() {
    $('battle').hidden = true;
    battle = null;
    voted = false;
    turn = 0;
    $('send').disabled = false;
    $('prompt').disabled = false;
    $('prompt').value = '';
    $('followup-prompt').value = '';
    setError('');
    $('prompt').focus();
  }

  $('send').addEventListener('click', send);
  $('draw').addEventListener('click', drawPrompt);
  $('new-round').addEventListener('click', newRound);
  $('followup-send').addEventListener('click', followUp);
  $('regenerate').addEventListener('click', regenerate);
  voteButtons.forEach((b) => b.addEventListener('click', () => vote(b.dataset.vote)));
  document.addEventListener('keydown', (e) => {
    if (e.target === $('prompt') || e.target === $('followup-prompt')) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        if (e.target === $('prompt')) send(); else followUp();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = {'1': 'a', '2': 'b', '3': 'tie', '4': 'bothbad'};
    if (keys[e.key]) { e.preventDefault(); vote(keys[e.key]); }
    else if ((e.key === 'n' || e.key === 'N') && voted) { e.preventDefault(); newRound(); }
  });
  loadConfig();
  $('prompt').focus();
})();
