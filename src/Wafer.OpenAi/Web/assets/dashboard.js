'use strict';
// The live dashboard: polls /metrics (the same instruments Prometheus scrapes) every second, and for the router also
// /health (backend availability and breaker state), and draws the last few minutes with uPlot. Rates and percentiles
// are computed here from the counters and histogram buckets of consecutive scrapes, as PromQL's rate() and
// histogram_quantile() would.
(function () {
  const PERIOD_MS = 1000;
  const WINDOW = 180;    // samples kept per chart (3 minutes)
  const SMOOTH = 10;     // scrapes a percentile is computed over
  const history = [];    // [{t, metrics}] newest last, at most SMOOTH + 1
  const charts = new Map();
  let kind = null;
  let lastHealth = null;
  let failures = 0;

  function parse(text) {
    const metrics = new Map();
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = line.match(/^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/);
      if (!m) continue;
      const labels = {};
      if (m[3]) for (const l of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      const value = parseFloat(m[4]);
      if (!metrics.has(m[1])) metrics.set(m[1], []);
      metrics.get(m[1]).push({ labels, value });
    }
    return metrics;
  }

  const key = (labels, names) => names.map((n) => labels[n]).filter((v) => v !== undefined).join(' ');

  // Sum of a metric's samples grouped by the given labels: Map(group -> value).
  function group(metrics, name, by, filter) {
    const out = new Map();
    for (const s of metrics.get(name) || []) {
      if (filter && !filter(s.labels)) continue;
      const k = key(s.labels, by) || 'all';
      out.set(k, (out.get(k) || 0) + s.value);
    }
    return out;
  }

  // Per-second rate between the oldest and newest scrape of the last `span` scrapes, grouped.
  function rate(name, by, filter, span) {
    const a = history[Math.max(0, history.length - 1 - (span || 1))], b = history[history.length - 1];
    if (!a || a === b) return new Map();
    const seconds = (b.t - a.t) / 1000;
    const before = group(a.metrics, name, by, filter), after = group(b.metrics, name, by, filter);
    const out = new Map();
    for (const [k, v] of after) out.set(k, Math.max(0, v - (before.get(k) || 0)) / seconds);
    return out;
  }

  // histogram_quantile over the bucket increase of the last SMOOTH scrapes, grouped; null where nothing was observed.
  function quantile(name, q, by, scale) {
    const a = history[Math.max(0, history.length - 1 - SMOOTH)], b = history[history.length - 1];
    if (!a || a === b) return new Map();
    const buckets = new Map();
    const collect = (metrics, sign) => {
      for (const s of metrics.get(name + '_bucket') || []) {
        const k = key(s.labels, by) || 'all';
        const le = s.labels.le === '+Inf' ? Infinity : parseFloat(s.labels.le);
        if (!buckets.has(k)) buckets.set(k, new Map());
        const m = buckets.get(k);
        m.set(le, (m.get(le) || 0) + sign * s.value);
      }
    };
    collect(b.metrics, 1);
    collect(a.metrics, -1);
    const out = new Map();
    for (const [k, m] of buckets) {
      const sorted = [...m.entries()].sort((x, y) => x[0] - y[0]);
      const total = sorted.length ? sorted[sorted.length - 1][1] : 0;
      if (total <= 0) {
        out.set(k, null);
        continue;
      }
      const rank = q * total;
      let previousLe = 0, previousCount = 0, value = null;
      for (const [le, count] of sorted) {
        if (count >= rank) {
          value = le === Infinity ? previousLe : previousLe + (le - previousLe) * ((rank - previousCount) / Math.max(count - previousCount, 1e-9));
          break;
        }
        previousLe = le;
        previousCount = count;
      }
      out.set(k, value === null ? null : value * scale);
    }
    return out;
  }

  function gauge(name, by) {
    const b = history[history.length - 1];
    return b ? group(b.metrics, name, by) : new Map();
  }

  // The charts: each a title, a unit, and a function giving {series name: value} for the newest scrape.
  const serverCharts = [
    { id: 'requests', title: 'Requests running and waiting', unit: '', sample: () => merge([['running', gauge('wafer_requests_running', ['model'])], ['waiting', gauge('wafer_requests_waiting', ['model'])]]) },
    { id: 'tokens', title: 'Tokens per second in (prompt) and out (generated)', unit: 'tok/s', sample: () => merge([['in', rate('wafer_prompt_tokens_total', ['model'])], ['out', rate('wafer_generation_tokens_total', ['model'])]]) },
    { id: 'ttft', title: 'Time to first token, p50 and p99', unit: 'ms', sample: () => merge([['p50', quantile('wafer_time_to_first_token_seconds', 0.5, ['model'], 1000)], ['p99', quantile('wafer_time_to_first_token_seconds', 0.99, ['model'], 1000)]]) },
    { id: 'itl', title: 'Inter-token latency, p50 and p99', unit: 'ms', sample: () => merge([['p50', quantile('wafer_inter_token_latency_seconds', 0.5, ['model'], 1000)], ['p99', quantile('wafer_inter_token_latency_seconds', 0.99, ['model'], 1000)]]) },
    { id: 'kv', title: 'KV cache used', unit: '%', sample: () => merge([['used', scaleMap(gauge('wafer_kv_cache_usage_ratio', ['model']), 100)]]) },
    { id: 'prefix', title: 'Prefix cache hit rate (prompt tokens found cached)', unit: '%', sample: () => merge([['hits', ratio(rate('wafer_prefix_cache_hits_total', ['model'], null, SMOOTH), rate('wafer_prefix_cache_queries_total', ['model'], null, SMOOTH))]]) },
    { id: 'status', title: 'Requests per second by status (429 = admission rejected)', unit: 'req/s', sample: () => merge([['status', rate('wafer_requests_total', ['status'])]]) },
  ];
  const routerCharts = [
    { id: 'router-requests', title: 'Requests per second by route and status', unit: 'req/s', sample: () => merge([['', rate('wafer_router_requests_total', ['route', 'status'])]]) },
    { id: 'router-outstanding', title: 'Requests outstanding per backend', unit: '', sample: () => merge([['', healthMap('outstanding')]]) },
    { id: 'router-ttft', title: 'Time to first token through the router, p50 and p99', unit: 'ms', sample: () => merge([['p50', quantile('wafer_router_time_to_first_token_milliseconds', 0.5, ['route'], 1)], ['p99', quantile('wafer_router_time_to_first_token_milliseconds', 0.99, ['route'], 1)]]) },
    { id: 'router-hedges', title: 'Hedges sent and won per second', unit: '/s', sample: () => merge([['sent', rate('wafer_router_hedges_sent_total', [])], ['won', rate('wafer_router_hedges_won_total', [])]]) },
    { id: 'router-cascade', title: 'Cascade escalations and retries per second', unit: '/s', sample: () => merge([['escalations', rate('wafer_router_cascade_escalations_total', [])], ['retries', rate('wafer_router_retries_total', [])]]) },
    { id: 'router-ejections', title: 'Backends ejected (breaker opened) per second', unit: '/s', sample: () => merge([['ejections', rate('wafer_router_ejections_total', ['backend'])]]) },
  ];

  function scaleMap(m, f) {
    const out = new Map();
    for (const [k, v] of m) out.set(k, v === null ? null : v * f);
    return out;
  }

  function ratio(top, bottom) {
    const out = new Map();
    for (const [k, v] of bottom) out.set(k, v > 0 ? 100 * (top.get(k) || 0) / v : null);
    return out;
  }

  function healthMap(field) {
    const out = new Map();
    for (const b of (lastHealth && lastHealth.backends) || []) out.set(b.name, b[field]);
    return out;
  }

  // [[prefix, Map(group -> value)]] -> {"prefix group": value}
  function merge(parts) {
    const out = {};
    for (const [prefix, m] of parts) for (const [k, v] of m) out[[prefix, k === 'all' ? '' : k].filter(Boolean).join(' ') || 'value'] = v;
    return out;
  }

  function chartFor(def) {
    let c = charts.get(def.id);
    if (c) return c;
    const card = document.createElement('div');
    card.className = 'card';
    card.dataset.chart = def.id;
    card.dataset.samples = '0';
    const h = document.createElement('h2');
    h.textContent = def.title + (def.unit ? ' (' + def.unit + ')' : '');
    const now = document.createElement('div');
    now.className = 'now';
    const plot = document.createElement('div');
    card.append(h, now, plot);
    document.getElementById('charts').appendChild(card);
    c = { def, card, now, plotEl: plot, names: [], times: [], columns: new Map(), plot: null };
    charts.set(def.id, c);
    return c;
  }

  const palette = ['#2d5bd7', '#e07b00', '#1a9e5c', '#c2185b', '#7b42c9', '#00838f', '#8d6e63', '#5c6bc0'];

  function build(c) {
    if (c.plot) c.plot.destroy();
    const series = [{}].concat(c.names.map((n, i) => ({ label: n, stroke: palette[i % palette.length], width: 2, spanGaps: false })));
    c.plot = new uPlot({ width: Math.max(360, c.card.clientWidth - 24), height: 220, series, axes: [{}, { size: 56 }], legend: { show: true }, cursor: { show: true } },
      data(c), c.plotEl);
  }

  function data(c) {
    return [c.times.slice()].concat(c.names.map((n) => c.columns.get(n).slice()));
  }

  function push(c, t, values) {
    let rebuild = !c.plot;
    for (const name of Object.keys(values)) {
      if (!c.columns.has(name)) {
        c.names.push(name);
        c.columns.set(name, c.times.map(() => null));
        rebuild = true;
      }
    }
    c.times.push(t);
    for (const name of c.names) c.columns.get(name).push(values[name] === undefined ? null : values[name]);
    if (c.times.length > WINDOW) {
      c.times.shift();
      for (const col of c.columns.values()) col.shift();
    }
    if (rebuild) build(c);
    else c.plot.setData(data(c));
    c.card.dataset.samples = String(c.times.length);
    c.card.dataset.last = JSON.stringify(values);
    c.now.textContent = Object.entries(values).map(([k, v]) => k + ': ' + (v === null ? '–' : format(v))).join('   ') || 'no data yet';
  }

  function format(v) {
    return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  }

  function summary() {
    const b = history[history.length - 1];
    const box = document.getElementById('summary');
    box.textContent = '';
    const add = (label, value, id) => {
      const d = document.createElement('div');
      d.id = id;
      const strong = document.createElement('b');
      strong.textContent = value;
      d.append(strong, document.createTextNode(label));
      box.appendChild(d);
    };
    const total = (name) => [...group(b.metrics, name, []).values()].reduce((x, y) => x + y, 0);
    if (kind === 'router') {
      add('requests answered', String(total('wafer_router_requests_total')), 'sum-requests');
      for (const backend of (lastHealth && lastHealth.backends) || [])
        add(backend.name + ': ' + (backend.available ? 'available' : 'out') + ', breaker ' + backend.circuit, String(backend.outstanding), 'backend-' + backend.name);
    } else {
      add('requests answered', String(total('wafer_requests_total')), 'sum-requests');
      add('tokens generated', String(total('wafer_generation_tokens_total')), 'sum-tokens');
      add('models loaded', String(new Set((b.metrics.get('wafer_kv_cache_blocks_total') || []).map((s) => s.labels.model)).size), 'sum-models');
    }
  }

  async function tick() {
    try {
      // A server started with --protect-metrics wants the key the playground keeps in this tab's session storage.
      const key = sessionStorage.getItem('wafer.apiKey');
      const r = await fetch('/metrics', { cache: 'no-store', headers: key ? { Authorization: 'Bearer ' + key } : {} });
      if (r.status === 401) throw new Error('/metrics needs the API key: enter it in the playground (this tab), then come back');
      if (!r.ok) throw new Error('/metrics answered ' + r.status);
      const metrics = parse(await r.text());
      const isRouter = [...metrics.keys()].some((n) => n.startsWith('wafer_router_'));
      if (!kind) {
        kind = isRouter ? 'router' : 'server';
        document.getElementById('kind').textContent = kind === 'router' ? 'wafer route' : 'wafer serve';
        document.body.dataset.kind = kind;
      }
      if (kind === 'router') {
        const h = await fetch('/health', { cache: 'no-store' });
        lastHealth = await h.json();
      }
      history.push({ t: Date.now(), metrics });
      if (history.length > SMOOTH + 1) history.shift();
      const t = Math.floor(Date.now() / 1000);
      for (const def of kind === 'router' ? routerCharts : serverCharts) push(chartFor(def), t, def.sample());
      summary();
      failures = 0;
      document.getElementById('status').textContent = 'live, every ' + PERIOD_MS / 1000 + ' s';
      document.body.dataset.scrapes = String(Number(document.body.dataset.scrapes || '0') + 1);
    } catch (e) {
      failures++;
      document.getElementById('status').textContent = 'no answer from the server (' + e.message + '), retrying';
    } finally {
      setTimeout(tick, failures > 0 ? Math.min(10000, PERIOD_MS * 2 ** failures) : PERIOD_MS);
    }
  }

  tick();
})();
