// app.js — the arena page: sends a prompt, shows the two anonymous answers
// as they stream in (newline-delimited JSON events over one fetch), takes
// the vote, then reveals the names. Everything from the server or the
// models is shown with textContent, never parsed as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const voteButtons = Array.from(document.querySelectorAll('#votes button'));
  let battle = null;        // {id, token}
  let busy = false;
  let done = {a: false, b: false};
  let voted = false;

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
      if (c.max_prompt_chars) $('prompt').maxLength = c.max_prompt_chars;
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

  function resetView(text) {
    battle = null;
    done = {a: false, b: false};
    voted = false;
    for (const side of ['a', 'b']) {
      $('answer-' + side).textContent = '';
      $('status-' + side).textContent = 'Generating…';
      $('name-' + side).textContent = 'Model ' + side.toUpperCase();
    }
    $('shown-prompt').textContent = text;
    $('result').textContent = '';
    $('new-round').hidden = true;
    setVoting(false);
    $('battle').hidden = false;
  }

  function finishStream(failed) {
    busy = false;
    if (failed) {
      $('send').disabled = false;
      $('prompt').disabled = false;
    }
  }

  function handle(ev) {
    if (ev.type === 'battle') {
      battle = {id: ev.id, token: ev.token};
    } else if (ev.type === 'token' && (ev.side === 'a' || ev.side === 'b')) {
      $('answer-' + ev.side).appendChild(document.createTextNode(String(ev.text)));
    } else if (ev.type === 'done' && (ev.side === 'a' || ev.side === 'b')) {
      done[ev.side] = true;
      if (typeof ev.text === 'string') $('answer-' + ev.side).textContent = ev.text;
      $('status-' + ev.side).textContent = ev.failed ? 'This model failed to answer.' : '';
      if (done.a && done.b && battle) {
        setVoting(true);
        voteButtons[0].focus();
      }
    } else if (ev.type === 'error') {
      setError(String(ev.message || 'The answers could not be generated.'));
    }
  }

  async function send() {
    const text = $('prompt').value;
    if (busy || !text.trim()) return;
    busy = true;
    setError('');
    $('send').disabled = true;
    $('prompt').disabled = true;
    resetView(text);
    let resp;
    try {
      resp = await fetch('/api/battle', {
        method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({prompt: text}),
      });
    } catch (e) {
      setError('The server could not be reached.');
      $('battle').hidden = true;
      finishStream(true);
      return;
    }
    if (!resp.ok) {
      const j = await jsonOf(resp);
      setError(j.error || ('The request failed (' + resp.status + ').'));
      $('battle').hidden = true;
      finishStream(true);
      return;
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
    finishStream(!(done.a && done.b));
  }

  const verdicts = {a: 'You preferred Model A.', b: 'You preferred Model B.', tie: 'You called it a tie.',
                    bothbad: 'You found both answers bad.'};

  async function vote(kind) {
    if (!battle || voted || !(done.a && done.b)) return;
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
    $('send').disabled = false;
    $('prompt').disabled = false;
    $('prompt').value = '';
    setError('');
    $('prompt').focus();
  }

  $('send').addEventListener('click', send);
  $('draw').addEventListener('click', drawPrompt);
  $('new-round').addEventListener('click', newRound);
  voteButtons.forEach((b) => b.addEventListener('click', () => vote(b.dataset.vote)));
  document.addEventListener('keydown', (e) => {
    if (e.target === $('prompt')) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); }
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
