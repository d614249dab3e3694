// libvtap's GUI: a client of vtapd's HTTP API only (docs/api.md, docs/gui.md).
import { Api, ApiError } from './api.js';
import { renderTopology, shortestPath } from './topology.js';

const TOKEN_KEY = 'vtap.token';
const POLL_MS = 1000;
const RECONNECT_MS = 2000;
const MAX_EVENTS = 50;
const RATE_WINDOW_MS = 5000;

const $ = (id) => document.getElementById(id);

// The form's inputs per top-level key of a policy, for errors whose `field` names them.
const FIELD_INPUTS = {
  name: 'f-name', tenant: 'f-tenant', sender: 'f-sender', receiver: 'f-receiver', monitor: 'f-monitor',
  filter: 'f-filter', direction: 'f-direction', truncate: 'f-truncate', rate_limit: 'f-rate',
  delivery: 'f-delivery', tunnel: 'f-remote-ip',
};

const state = {
  api: null,
  administrator: false,
  tenant: '',
  topology: { switches: [], hosts: [], links: [] },
  switchStatus: null,
  policies: [],
  stats: new Map(),      // id -> {active, packets, copies, ..., rate, samples: [{at, copies}]}
  editing: null,         // the policy being modified, or null
  original: {},          // field -> {text, endpoint}: endpoints shown in the form while modifying
  abort: null,
  pollTimer: null,
  reloadTimer: null,
  streamOpen: false,
  pollOk: true,
};

class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function text(tag, content, attributes = {}) {
  const node = document.createElement(tag);
  if (content !== undefined && content !== null) node.textContent = String(content);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  return node;
}

const number = (n) => Number(n).toLocaleString('en');

// ------------------------------------------------------------------ endpoints and VMs

function hostOf(endpoint) {
  if (!endpoint || endpoint === '*') return null;
  const mac = endpoint.mac?.toLowerCase();
  return state.topology.hosts.find((h) => (mac && h.mac.toLowerCase() === mac)
    || (endpoint.ip && (h.ip === endpoint.ip || h.ipv6 === endpoint.ip))) || null;
}

// A table cell for an endpoint: the VM's name when the topology knows it, then the address.
function endpointCell(endpoint) {
  const cell = text('td');
  if (endpoint === '*') {
    cell.append('* ', text('span', 'any receiver', { class: 'addr' }));
  } else if (!endpoint) {
    cell.textContent = '—';
  } else {
    const address = [endpoint.mac, endpoint.ip].filter(Boolean).join(', ');
    const host = hostOf(endpoint);
    if (host) cell.append(host.name, ' ', text('span', address, { class: 'addr' }));
    else cell.append(text('span', address, { class: 'mono' }));
  }
  return cell;
}

function endpointText(endpoint) {
  if (endpoint === '*') return '*';
  if (!endpoint) return '';
  return hostOf(endpoint)?.name || endpoint.mac || endpoint.ip || '';
}

const MAC_SHAPE = /^[^:.\-\s]{1,2}([:-][^:.\-\s]{1,2}){5}$/;
const IP_SHAPE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/;

// The endpoint for what was typed into `field`: a VM's name maps to its MAC; a MAC or an IP
// is sent as typed (vtapd validates it and names the field when it is wrong).
function toEndpoint(field, label, { required = true, any = false } = {}) {
  const value = $(FIELD_INPUTS[field]).value.trim();
  if (!value) {
    if (required) throw new FieldError(field, `${label} is required: a VM's name, a MAC or an IP address`);
    return undefined;
  }
  const original = state.original[field];
  if (original && original.text === value) return original.endpoint;
  if (any && value === '*') return '*';
  const hosts = state.topology.hosts;
  const host = hosts.find((h) => h.name === value) || hosts.find((h) => h.name.toLowerCase() === value.toLowerCase());
  if (host) return { mac: host.mac };
  if (MAC_SHAPE.test(value)) return { mac: value };
  if (IP_SHAPE.test(value)) return { ip: value };
  throw new FieldError(field, `"${value}" is neither a VM of the topology nor a MAC or an IP address`);
}

function integer(field, id, label, { min = 0 } = {}) {
  const raw = $(id).value.trim();
  if (raw === '') {
    if ($(id).validity?.badInput) throw new FieldError(field, `${label}: not a number`);
    return undefined;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new FieldError(field, `${label}: a whole number, at least ${min}`);
  return Number(raw);
}

function optionsText(p) {
  const parts = [];
  if (p.direction === 'both') parts.push('both directions');
  if (p.truncate) parts.push(`truncate ${p.truncate} B`);
  if (p.rate_limit) {
    const r = p.rate_limit;
    const rate = r.pktps !== undefined ? `${number(r.pktps)} pkt/s` : `${number(r.kbps)} kbit/s`;
    parts.push(`limit ${rate}${r.burst !== undefined ? ` (burst ${number(r.burst)})` : ''}`);
  }
  if (p.delivery === 'tunnel' && p.tunnel) parts.push(`tunnel to ${p.tunnel.remote_ip} key ${p.tunnel.key}`);
  return parts.join('; ') || '—';
}

// ------------------------------------------------------------------ signing in and out

function showSignIn(message = '') {
  $('app').hidden = true;
  $('session').hidden = true;
  $('sign-in-section').hidden = false;
  $('token-error').textContent = message;
  $('token').setAttribute('aria-invalid', message ? 'true' : 'false');
  $('token').focus();
}

async function signIn(token) {
  const api = new Api(token);
  try {
    await api.policies();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn('vtapd does not know this token.');
    } else {
      showSignIn(e.message);
    }
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.api = api;
  $('token').value = '';
  $('token-error').textContent = '';
  $('sign-in-section').hidden = true;
  $('session').hidden = false;
  $('app').hidden = false;
  await loadAll();
  startLive();
  $('f-sender').focus();
}

function signOut(message = '') {
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.api = null;
  state.policies = [];
  state.stats.clear();
  state.topology = { switches: [], hosts: [], links: [] };
  state.switchStatus = null;
  cancelEdit();
  $('policies').tBodies[0].replaceChildren();
  $('events').replaceChildren();
  $('explanation').replaceChildren();
  $('topology').replaceChildren();
  showSignIn(message);
}

// Who is signed in: GET /v1/whoami; an administrator also sees the switches' status.
async function identify() {
  const me = await state.api.whoami();
  state.administrator = me.administrator;
  state.tenant = me.tenant || '';
  state.switchStatus = state.administrator
    ? new Map((await state.api.switches()).map((s) => [s.name, s]))
    : null;
  $('who').textContent = state.administrator ? 'administrator' : `tenant ${state.tenant}`;
  $('tenant-field').hidden = !state.administrator;
}

// ------------------------------------------------------------------ loading

async function loadAll() {
  try {
    const [policies, topology] = await Promise.all([state.api.policies(), state.api.topology()]);
    state.policies = policies;
    state.topology = { switches: [], hosts: [], links: [], ...topology };
    await identify();
  } catch (e) {
    return failed(e);
  }
  renderVmLists();
  renderPolicies();
  renderPath();
  await pollStats();
}

async function reloadPolicies() {
  if (!state.api) return;
  try {
    state.policies = await state.api.policies();
  } catch (e) {
    return failed(e);
  }
  renderPolicies();
  renderPath();
}

async function reloadTopology() {
  if (!state.api) return;
  try {
    state.topology = { switches: [], hosts: [], links: [], ...(await state.api.topology()) };
    if (state.administrator) state.switchStatus = new Map((await state.api.switches()).map((s) => [s.name, s]));
  } catch (e) {
    return failed(e);
  }
  renderVmLists();
  renderPolicies();
  renderPath();
}

// Coalesces the reloads a burst of events asks for.
function scheduleReload() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(() => { reloadPolicies(); pollStats(); }, 100);
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    signOut('vtapd no longer accepts this token: sign in again.');
  } else {
    if (!(e instanceof ApiError)) console.error(e);
    setLive(`error: ${e.message}`);
  }
}

// ------------------------------------------------------------------ live counters and events

function setLive(message) {
  $('live').textContent = message;
}

function liveStatus() {
  if (!state.pollOk) return;
  setLive(state.streamOpen ? 'live' : 'live (counters only; events reconnecting)');
}

async function pollStats() {
  if (!state.api) return;
  let stats;
  try {
    stats = await state.api.stats();
  } catch (e) {
    state.pollOk = false;
    return failed(e);
  }
  state.pollOk = true;
  liveStatus();
  const now = performance.now();
  const seen = new Set();
  for (const s of stats) {
    seen.add(s.id);
    // Copies per second over the last RATE_WINDOW_MS of polls (one poll alone is too jumpy).
    const samples = [...(state.stats.get(s.id)?.samples || []), { at: now, copies: s.copies }]
      .filter((x, i, all) => i === all.length - 1 || now - x.at <= RATE_WINDOW_MS);
    const first = samples[0];
    const rate = samples.length > 1 && now > first.at
      ? Math.max(0, (s.copies - first.copies) / ((now - first.at) / 1000)) : null;
    state.stats.set(s.id, { ...s, rate, samples });
  }
  for (const id of [...state.stats.keys()]) if (!seen.has(id)) state.stats.delete(id);
  // A policy added or removed elsewhere whose event was missed: the lists disagree.
  const listed = new Set(state.policies.map((p) => p.id));
  if (listed.size !== seen.size || [...seen].some((id) => !listed.has(id))) scheduleReload();
  updateCounters();
}

function startLive() {
  stopLive();
  state.abort = new AbortController();
  state.pollTimer = setInterval(pollStats, POLL_MS);
  streamEvents(state.abort.signal);
}

function stopLive() {
  clearInterval(state.pollTimer);
  clearTimeout(state.reloadTimer);
  state.abort?.abort();
  state.abort = null;
  state.streamOpen = false;
}

async function streamEvents(signal) {
  while (!signal.aborted) {
    try {
      await state.api.events(onEvent, signal, () => { state.streamOpen = true; liveStatus(); });
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) return failed(e);
    }
    state.streamOpen = false;
    liveStatus();
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

function onEvent(frame) {
  let event;
  try {
    event = JSON.parse(frame.data);
  } catch {
    return;
  }
  const kind = event.kind || frame.event;
  const item = text('li');
  const time = event.time ? new Date(event.time) : new Date();
  item.append(text('time', time.toLocaleTimeString('en-GB'), { datetime: time.toISOString() }), ' ',
    text('strong', kind, { class: `kind kind-${kind}` }));
  const about = [event.policy !== undefined ? `policy ${event.policy}` : '', event.switch ? `switch ${event.switch}` : '',
    event.detail || ''].filter(Boolean).join(': ');
  item.append(` ${about}`);
  const list = $('events');
  list.prepend(item);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();

  if (['applied', 'failed', 'drift_repaired'].includes(kind) || kind.startsWith('policy_')) {
    scheduleReload();
  }
  if (kind === 'topology_changed' || kind.startsWith('switch_')) reloadTopology();
}

// ------------------------------------------------------------------ the policies table

function renderPolicies() {
  const body = $('policies').tBodies[0];
  const focused = document.activeElement?.closest?.('#policies tbody button');
  const refocus = focused ? `button[data-action="${focused.dataset.action}"][data-id="${focused.dataset.id}"]` : null;
  const rows = state.policies.map((p) => {
    const row = text('tr', null, { 'data-id': String(p.id) });
    if (state.editing?.id === p.id) row.classList.add('editing');
    row.append(text('td', p.id), text('td', p.name || ''), text('td', p.tenant || ''),
      endpointCell(p.sender), endpointCell(p.receiver),
      p.delivery === 'tunnel' && !p.monitor ? text('td', 'tunnel') : endpointCell(p.monitor),
      text('td', p.filter || 'all traffic', { class: 'filter mono' }), text('td', optionsText(p), { class: 'options' }),
      text('td', '…', { class: 'state' }), text('td', '', { class: 'num packets' }),
      text('td', '', { class: 'num copies' }), text('td', '', { class: 'num rate' }));
    const actions = text('td', null, { class: 'actions' });
    const label = `policy ${p.id}${p.name ? ` (${p.name})` : ''}`;
    for (const [action, caption] of [['edit', 'Edit'], ['path', 'Path'], ['remove', 'Remove']]) {
      const button = text('button', caption, {
        type: 'button', 'data-action': action, 'data-id': String(p.id),
        'aria-label': caption === 'Path' ? `Show ${label} on the topology` : `${caption} ${label}`,
      });
      if (action === 'remove') button.classList.add('danger');
      actions.append(button);
    }
    row.append(actions);
    return row;
  });
  body.replaceChildren(...rows);
  $('no-policies').hidden = rows.length > 0;
  if (refocus) body.querySelector(refocus)?.focus();
  updateCounters();
  renderPathChoices();
}

function updateCounters() {
  for (const row of $('policies').tBodies[0].rows) {
    const s = state.stats.get(Number(row.dataset.id));
    const cell = (name) => row.querySelector(`.${name}`);
    if (!s) {
      cell('state').textContent = '…';
      continue;
    }
    cell('state').textContent = s.active ? 'active' : 'inactive';
    cell('state').className = `state ${s.active ? 'active' : 'inactive'}`;
    cell('packets').textContent = number(s.packets);
    cell('copies').textContent = number(s.copies);
    cell('rate').textContent = s.rate === null ? '—' : s.rate.toFixed(1);
  }
}

async function onTableClick(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const policy = state.policies.find((p) => p.id === Number(button.dataset.id));
  if (!policy) return;
  if (button.dataset.action === 'edit') startEdit(policy);
  else if (button.dataset.action === 'path') {
    $('path-policy').value = String(policy.id);
    renderPath();
    $('topology-title').scrollIntoView({ behavior: 'smooth' });
  } else if (button.dataset.action === 'remove') {
    await confirmRemove(policy, button);
  }
}

function confirm(message) {
  const dialog = $('confirm-remove');
  if (typeof dialog.showModal !== 'function') return Promise.resolve(window.confirm(message));
  $('confirm-text').textContent = message;
  dialog.returnValue = 'cancel';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'remove'), { once: true });
    dialog.showModal();
  });
}

async function confirmRemove(policy, button) {
  const name = `policy ${policy.id}${policy.name ? ` (${policy.name})` : ''}`;
  const yes = await confirm(`Remove ${name}? Its rules are taken off every switch.`);
  if (!yes) {
    button.focus();
    return;
  }
  try {
    await state.api.remove(policy.id);
    $('form-status').textContent = `Removed ${name}.`;
    if (state.editing?.id === policy.id) cancelEdit();
  } catch (e) {
    $('form-status').textContent = `Could not remove ${name}: ${e.message}`;
  }
  await reloadPolicies();
  $('policies-title').focus?.();
}

// ------------------------------------------------------------------ the form

function renderVmLists() {
  const options = state.topology.hosts.map((h) => {
    const option = text('option', null, { value: h.name });
    option.label = `${h.name}: ${[h.mac, h.ip, h.ipv6].filter(Boolean).join(', ')} (${h.switch})`;
    return option;
  });
  $('vm-list').replaceChildren(...options);
  const any = text('option', null, { value: '*' });
  any.label = '* (any destination)';
  $('receiver-list').replaceChildren(...options.map((o) => o.cloneNode(true)), any);
}

function clearErrors() {
  for (const node of document.querySelectorAll('#policy-form .field-error')) node.textContent = '';
  for (const node of document.querySelectorAll('#policy-form [aria-invalid]')) node.removeAttribute('aria-invalid');
  $('form-error').textContent = '';
}

// Shows `message` next to the input `field` names ("sender.mac" -> Sender), or above the
// buttons when it names none of them.
function showError(field, message) {
  // vtapd's messages name the policy and the field, as for a file ("policy 2: sender.mac: ...");
  // next to the field, neither is needed (and "policy 2" may be an id that was never taken).
  message = message.replace(/^policy \d+: /, '');
  if (field && message.startsWith(`${field}: `)) message = message.slice(field.length + 2);
  const key = field ? field.split(/[.[]/)[0] : '';
  const input = FIELD_INPUTS[key] && $(FIELD_INPUTS[key]);
  if (input && !input.closest('[hidden]')) {
    $(`e-${key}`).textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  } else {
    $('form-error').textContent = field ? `${field}: ${message}` : message;
  }
}

function buildPolicy() {
  const p = {};
  if (state.editing) p.id = state.editing.id;
  const name = $('f-name').value.trim();
  if (name) p.name = name;
  if (state.administrator) {
    const tenant = $('f-tenant').value.trim();
    if (tenant) p.tenant = tenant;
  } else if (state.editing?.tenant) {
    p.tenant = state.editing.tenant;
  }
  const tunnel = $('f-delivery').value === 'tunnel';
  p.sender = toEndpoint('sender', 'Sender');
  p.receiver = toEndpoint('receiver', 'Receiver', { any: true });
  const monitor = toEndpoint('monitor', 'Monitor', { required: !tunnel });
  if (monitor !== undefined) p.monitor = monitor;
  const filter = $('f-filter').value.trim();
  if (filter) p.filter = filter;
  if ($('f-direction').value === 'both') p.direction = 'both';
  const truncate = integer('truncate', 'f-truncate', 'Truncate', { min: 14 });
  if (truncate !== undefined) p.truncate = truncate;
  const rate = integer('rate_limit', 'f-rate', 'Rate limit', { min: 1 });
  const burst = integer('rate_limit', 'f-burst', 'Burst', { min: 1 });
  if (rate !== undefined) {
    p.rate_limit = { [$('f-rate-unit').value]: rate };
    if (burst !== undefined) p.rate_limit.burst = burst;
  } else if (burst !== undefined) {
    throw new FieldError('rate_limit', 'a burst needs a rate limit');
  }
  if (tunnel) {
    p.delivery = 'tunnel';
    const remote = $('f-remote-ip').value.trim();
    const key = integer('tunnel', 'f-key', 'Tunnel key');
    if (!remote || key === undefined) throw new FieldError('tunnel', 'tunnel delivery needs a remote IP and a key');
    p.tunnel = { remote_ip: remote, key };
  }
  return p;
}

async function onSubmit(event) {
  event.preventDefault();
  clearErrors();
  $('form-status').textContent = '';
  let policy;
  try {
    policy = buildPolicy();
  } catch (e) {
    if (e instanceof FieldError) return showError(e.field, e.message);
    throw e;
  }
  const submit = $('submit');
  submit.disabled = true;
  try {
    const saved = state.editing ? await state.api.replace(state.editing.id, policy) : await state.api.add(policy);
    const verb = state.editing ? 'Saved' : 'Added';
    cancelEdit();
    $('form-status').textContent = `${verb} policy ${saved.id}${saved.name ? ` (${saved.name})` : ''}.`;
    await reloadPolicies();
    pollStats();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401) return failed(e);
    showError(e.field, e.message);
  } finally {
    submit.disabled = false;
  }
}

function resetForm() {
  $('policy-form').reset();
  state.original = {};
  clearErrors();
  syncDelivery();
}

function startEdit(policy) {
  resetForm();
  state.editing = policy;
  $('form-title').textContent = `Modify policy ${policy.id}`;
  $('submit').textContent = 'Save';
  $('cancel-edit').hidden = false;
  $('f-name').value = policy.name || '';
  $('f-tenant').value = policy.tenant || '';
  for (const field of ['sender', 'receiver', 'monitor']) {
    const shown = endpointText(policy[field]);
    $(FIELD_INPUTS[field]).value = shown;
    if (policy[field] !== undefined) state.original[field] = { text: shown, endpoint: policy[field] };
  }
  $('f-filter').value = policy.filter || '';
  $('f-direction').value = policy.direction || 'forward';
  $('f-truncate').value = policy.truncate ?? '';
  const r = policy.rate_limit;
  $('f-rate').value = r ? (r.pktps ?? r.kbps ?? '') : '';
  $('f-rate-unit').value = r && r.kbps !== undefined ? 'kbps' : 'pktps';
  $('f-burst').value = r?.burst ?? '';
  $('f-delivery').value = policy.delivery || 'marked';
  $('f-remote-ip').value = policy.tunnel?.remote_ip || '';
  $('f-key').value = policy.tunnel?.key ?? '';
  syncDelivery();
  renderPolicies();
  $('form-title').scrollIntoView({ behavior: 'smooth' });
  $('f-name').focus();
}

function cancelEdit() {
  const wasEditing = state.editing !== null;
  state.editing = null;
  resetForm();
  $('form-title').textContent = 'Add a policy';
  $('submit').textContent = 'Add policy';
  $('cancel-edit').hidden = true;
  if (wasEditing) renderPolicies();
}

function syncDelivery() {
  $('tunnel-fields').hidden = $('f-delivery').value !== 'tunnel';
}

// ------------------------------------------------------------------ explain

async function onExplain(event) {
  event.preventDefault();
  const out = $('explanation');
  $('e-packet').textContent = '';
  $('x-packet').removeAttribute('aria-invalid');
  const packet = $('x-packet').value.trim();
  if (!packet) {
    $('e-packet').textContent = 'Type a packet, e.g. tcp,dl_src=…,tp_dst=80';
    return;
  }
  let answer;
  try {
    answer = await state.api.explain(packet);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return failed(e);
    $('e-packet').textContent = e.message;
    $('x-packet').setAttribute('aria-invalid', 'true');
    out.replaceChildren();
    return;
  }
  const nodes = [];
  const copies = answer.copies || [];
  nodes.push(text('p', copies.length
    ? `${copies.length} ${copies.length === 1 ? 'copy' : 'copies'} of this packet from ${answer.sender}:`
    : `No copy of this packet from ${answer.sender}.`, { class: 'summary' }));
  if (copies.length) {
    const list = text('ul', null, { class: 'copies' });
    for (const c of copies) {
      list.append(text('li', `${c.target}, for ${c.policies.length === 1 ? 'policy' : 'policies'} ${c.policies.join(', ')}`));
    }
    nodes.push(list);
  }
  if (answer.delivered?.length) nodes.push(text('p', `Walking the plan delivers to: ${answer.delivered.join(', ')}.`));
  if (answer.verdicts?.length) {
    const table = text('table', null, { class: 'verdicts' });
    table.append(text('caption', 'Verdict of each policy'));
    const head = text('tr');
    for (const h of ['Policy', 'Direction', 'Matches', 'Reason']) head.append(text('th', h, { scope: 'col' }));
    table.createTHead().append(head);
    const body = table.createTBody();
    for (const v of answer.verdicts) {
      const row = text('tr', null, { class: v.matches ? 'match' : 'miss' });
      row.append(text('td', v.policy), text('td', v.reverse ? 'reverse' : 'forward'),
        text('td', v.matches ? 'yes' : 'no'), text('td', v.reason || ''));
      body.append(row);
    }
    nodes.push(table);
  }
  const details = text('details');
  details.append(text('summary', 'vtapctl explain'), text('pre', answer.text));
  nodes.push(details);
  out.replaceChildren(...nodes);
}

// ------------------------------------------------------------------ topology and paths

function renderPathChoices() {
  const select = $('path-policy');
  const chosen = select.value;
  const options = [text('option', 'none', { value: '' })];
  for (const p of state.policies) options.push(text('option', `${p.id}${p.name ? ` ${p.name}` : ''}`, { value: String(p.id) }));
  select.replaceChildren(...options);
  select.value = state.policies.some((p) => String(p.id) === chosen) ? chosen : '';
}

function pathOf(policy) {
  const sender = hostOf(policy.sender);
  const receiver = hostOf(policy.receiver);
  const monitor = hostOf(policy.monitor);
  const highlight = { paths: [], sender: sender?.name, receiver: receiver?.name, monitor: monitor?.name };
  const absent = [['sender', policy.sender, sender], ['receiver', policy.receiver, receiver], ['monitor', policy.monitor, monitor]]
    .filter(([, ep, host]) => ep && ep !== '*' && !host).map(([role]) => role);
  const lines = [];
  if (absent.length) {
    lines.push(`Not in the topology now: its ${absent.join(', ')} (the policy is inactive).`);
  }
  const hop = (path) => path.join(' → ');
  if (sender && policy.delivery === 'tunnel') {
    highlight.paths.push([sender.switch]);
    lines.push(`Copies leave ${sender.switch} (${sender.name}'s switch) through its tunnel port to ` +
      `${policy.tunnel?.remote_ip} (key ${policy.tunnel?.key}).`);
  } else if (sender && monitor) {
    const forward = shortestPath(state.topology, sender.switch, monitor.switch);
    if (forward) {
      highlight.paths.push(forward);
      const transit = forward.slice(1, -1);
      lines.push(`Copies of ${sender.name}'s traffic travel ${hop(forward)} to ${monitor.name}` +
        `${transit.length ? ` (transit: ${transit.join(', ')})` : ''}.`);
    } else {
      lines.push(`No path from ${sender.switch} to ${monitor.switch}.`);
    }
    if (policy.direction === 'both' && receiver) {
      const back = shortestPath(state.topology, receiver.switch, monitor.switch);
      if (back) {
        highlight.paths.push(back);
        lines.push(`Copies of ${receiver.name}'s replies travel ${hop(back)} to ${monitor.name}.`);
      }
    }
  }
  return { highlight, description: lines.join(' ') };
}

function renderPath() {
  const id = Number($('path-policy').value);
  const policy = id ? state.policies.find((p) => p.id === id) : null;
  if (!policy) {
    renderTopology($('topology'), state.topology, null, state.switchStatus);
    $('path-text').textContent = '';
    return;
  }
  const { highlight, description } = pathOf(policy);
  renderTopology($('topology'), state.topology, highlight, state.switchStatus);
  $('path-text').textContent = `Policy ${policy.id}: ${description}`;
}

// ------------------------------------------------------------------ start

function main() {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) return showSignIn('Give a token.');
    signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => { loadAll(); });
  $('policies').addEventListener('click', onTableClick);
  $('policy-form').addEventListener('submit', onSubmit);
  $('cancel-edit').addEventListener('click', () => { cancelEdit(); $('f-sender').focus(); });
  $('f-delivery').addEventListener('change', syncDelivery);
  $('explain-form').addEventListener('submit', onExplain);
  $('path-policy').addEventListener('change', renderPath);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.editing && event.target.closest?.('#policy-form')) cancelEdit();
  });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
  else showSignIn();
}

main();
