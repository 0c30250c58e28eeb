'use strict';
// The playground: chat with any model the server (or router) lists, streamed over /v1/chat/completions, with stop,
// regenerate, edit-and-resend, a system prompt, sampling parameters, JSON-schema and tool-call requests, and the raw
// request and response. Model output is rendered by WaferMarkdown, as text nodes only.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { messages: [], controller: null, key: sessionStorage.getItem('wafer.apiKey') || '', busy: false };

  function headers() {
    const h = { 'Content-Type': 'application/json' };
    if (state.key) h['Authorization'] = 'Bearer ' + state.key;
    return h;
  }

  function showError(text) {
    const box = $('error');
    box.textContent = text || '';
    box.hidden = !text;
  }

  function askKey(why) {
    $('key-panel').hidden = false;
    $('api-key').focus();
    if (why) showError(why);
  }

  function errorMessage(text, status) {
    try {
      const body = JSON.parse(text);
      if (body && body.error && body.error.message) return status + ': ' + body.error.message;
    } catch (_) { /* not JSON */ }
    return status + ': ' + text.slice(0, 300);
  }

  async function loadModels() {
    let r;
    try {
      r = await fetch('/v1/models', { headers: headers() });
    } catch (e) {
      showError('the server did not answer: ' + e.message);
      return;
    }
    if (r.status === 401) {
      askKey('This server needs an API key: enter it above.');
      return;
    }
    if (!r.ok) {
      showError(errorMessage(await r.text(), r.status));
      return;
    }
    const body = await r.json();
    const select = $('model');
    const previous = select.value;
    select.textContent = '';
    for (const m of body.data || []) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = m.id + (m.state && m.state !== 'loaded' ? ' (' + m.state + ')' : '');
      select.appendChild(option);
    }
    if ([...select.options].some((o) => o.value === previous)) select.value = previous;
    $('server-note').textContent = (body.data || []).length + ' model(s)';
    showError('');
  }

  function setBusy(busy) {
    state.busy = busy;
    $('send').disabled = busy;
    $('stop').disabled = !busy;
    renderAll();
  }

  function number(id, integer) {
    const v = $(id).value.trim();
    if (v === '') return undefined;
    const n = integer ? parseInt(v, 10) : parseFloat(v);
    return Number.isFinite(n) ? n : undefined;
  }

  function buildRequest() {
    const messages = [];
    const system = $('system').value.trim();
    if (system) messages.push({ role: 'system', content: system });
    for (const m of state.messages) {
      const message = { role: m.role, content: m.content };
      if (m.tool_calls && m.tool_calls.length) message.tool_calls = m.tool_calls;
      messages.push(message);
    }
    const body = { model: $('model').value, messages, stream: true, stream_options: { include_usage: true } };
    for (const [id, integer] of [['temperature', false], ['top_p', false], ['max_tokens', true], ['seed', true]]) {
      const v = number(id, integer);
      if (v !== undefined) body[id] = v;
    }
    if ($('ignore_eos').checked) body.ignore_eos = true;
    const mode = $('mode').value;
    try {
      if (mode === 'json_schema') body.response_format = { type: 'json_schema', json_schema: { name: 'playground', schema: JSON.parse($('schema').value) } };
      if (mode === 'tools') {
        body.tools = JSON.parse($('tools').value);
        body.tool_choice = $('tool_choice').value;
      }
    } catch (e) {
      showError('the ' + (mode === 'tools' ? 'tools' : 'JSON schema') + ' box is not valid JSON: ' + e.message);
      return null;
    }
    return body;
  }

  function renderMessage(message, index) {
    const el = document.createElement('div');
    el.className = 'message ' + message.role;
    el.dataset.index = String(index);
    el.dataset.state = message.state || 'done';
    const role = document.createElement('div');
    role.className = 'role';
    role.appendChild(document.createTextNode(message.role));
    const last = index === state.messages.length - 1;
    if (message.role === 'user' && !state.busy) {
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.className = 'edit';
      edit.textContent = 'Edit';
      edit.addEventListener('click', () => editFrom(index));
      role.appendChild(edit);
    }
    if (message.role === 'assistant' && last && !state.busy) {
      const again = document.createElement('button');
      again.type = 'button';
      again.className = 'regenerate';
      again.textContent = 'Regenerate';
      again.addEventListener('click', regenerate);
      role.appendChild(again);
    }
    el.appendChild(role);
    const content = document.createElement('div');
    content.className = 'content';
    content.appendChild(WaferMarkdown.render(message.content || ''));
    el.appendChild(content);
    if (message.tool_calls && message.tool_calls.length) {
      const calls = document.createElement('div');
      calls.className = 'calls';
      calls.textContent = message.tool_calls.map((c) => c.function.name + '(' + c.function.arguments + ')').join('\n');
      el.appendChild(calls);
    }
    if (message.stats) {
      const stats = document.createElement('div');
      stats.className = 'stats';
      stats.textContent = message.stats;
      el.appendChild(stats);
    }
    return el;
  }

  function renderAll() {
    const list = $('messages');
    list.textContent = '';
    state.messages.forEach((m, i) => list.appendChild(renderMessage(m, i)));
  }

  function renderLast() {
    const list = $('messages');
    const index = state.messages.length - 1;
    const fresh = renderMessage(state.messages[index], index);
    const old = list.querySelector('.message[data-index="' + index + '"]');
    if (old) list.replaceChild(fresh, old);
    else list.appendChild(fresh);
  }

  function editFrom(index) {
    if (state.busy) return;
    $('input').value = state.messages[index].content;
    state.messages = state.messages.slice(0, index);
    renderAll();
    $('input').focus();
  }

  function regenerate() {
    if (state.busy) return;
    if (state.messages.length && state.messages[state.messages.length - 1].role === 'assistant') state.messages.pop();
    generate();
  }

  function stats(answer, started, first, end, usage, tokens) {
    const count = usage && usage.completion_tokens !== undefined ? usage.completion_tokens : tokens;
    const parts = [count + ' tokens'];
    if (first !== null && count > 1 && end > first) parts.push(((count - 1) / ((end - first) / 1000)).toFixed(1) + ' tokens/s');
    if (first !== null) parts.push('TTFT ' + Math.round(first - started) + ' ms');
    parts.push(answer.model);
    if (answer.state === 'stopped') parts.push('stopped');
    if (answer.finish) parts.push('finish: ' + answer.finish);
    return parts.join(' · ');
  }

  async function generate() {
    const request = buildRequest();
    if (!request) return;
    showError('');
    $('raw-request').textContent = JSON.stringify(request, null, 2);
    $('raw-response').textContent = '';
    const answer = { role: 'assistant', content: '', model: request.model, state: 'streaming', tool_calls: [] };
    state.messages.push(answer);
    state.controller = new AbortController();
    setBusy(true);
    const started = performance.now();
    let first = null;
    let tokens = 0;
    let usage = null;
    const raw = [];
    let pending = false;
    const paint = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        renderLast();
      });
    };
    const handle = (event) => {
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        raw.push(payload);
        if (payload === '[DONE]') continue;
        const chunk = JSON.parse(payload);
        if (chunk.error) throw new Error(chunk.error.message || 'the stream failed');
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices && chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta || {};
        if (delta.content) {
          if (first === null) first = performance.now();
          answer.content += delta.content;
          tokens++;
        }
        for (const call of delta.tool_calls || []) {
          if (first === null) first = performance.now();
          const slot = answer.tool_calls[call.index] || (answer.tool_calls[call.index] = { id: '', type: 'function', function: { name: '', arguments: '' } });
          if (call.id) slot.id = call.id;
          if (call.function && call.function.name) slot.function.name += call.function.name;
          if (call.function && call.function.arguments) slot.function.arguments += call.function.arguments;
          tokens++;
        }
        if (choice.finish_reason) answer.finish = choice.finish_reason;
      }
      paint();
    };
    try {
      const r = await fetch('/v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify(request), signal: state.controller.signal });
      if (!r.ok) {
        const text = await r.text();
        raw.push(text);
        if (r.status === 401) askKey('This server needs an API key: enter it above.');
        throw new Error(errorMessage(text, r.status));
      }
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let at;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          handle(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
        }
      }
      answer.state = 'done';
    } catch (e) {
      if (e.name === 'AbortError') answer.state = 'stopped';
      else {
        answer.state = 'error';
        showError(e.message);
      }
    } finally {
      answer.stats = stats(answer, started, first, performance.now(), usage, tokens);
      $('raw-response').textContent = raw.join('\n');
      state.controller = null;
      setBusy(false);
    }
  }

  function send(event) {
    if (event) event.preventDefault();
    if (state.busy) return;
    const text = $('input').value;
    if (!text.trim()) return;
    if (!$('model').value) {
      showError('no model to send to: the server lists none (or needs an API key)');
      return;
    }
    state.messages.push({ role: 'user', content: text });
    $('input').value = '';
    renderAll();
    generate();
  }

  $('composer').addEventListener('submit', send);
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) send(e);
  });
  $('stop').addEventListener('click', () => state.controller && state.controller.abort());
  $('clear').addEventListener('click', () => {
    if (state.busy) return;
    state.messages = [];
    renderAll();
  });
  $('mode').addEventListener('change', () => {
    $('schema-box').hidden = $('mode').value !== 'json_schema';
    $('tools-box').hidden = $('mode').value !== 'tools';
    $('tool-choice-box').hidden = $('mode').value !== 'tools';
  });
  $('key-button').addEventListener('click', () => {
    $('key-panel').hidden = !$('key-panel').hidden;
  });
  $('key-save').addEventListener('click', () => {
    state.key = $('api-key').value.trim();
    if (state.key) sessionStorage.setItem('wafer.apiKey', state.key);
    else sessionStorage.removeItem('wafer.apiKey');
    $('key-panel').hidden = true;
    loadModels();
  });
  loadModels();
})();
