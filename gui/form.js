// The add/modify form: from its fields to a policy, POST or PUT, and vtapd's errors shown next
// to the field they name.
import { ApiError } from './api.js';
import { endpointText } from './endpoints.js';
import { pollStats } from './live.js';
import { reloadPolicies } from './load.js';
import { renderPolicies } from './policies.js';
import { failed } from './session.js';
import { state } from './state.js';
import { $, policyName, text } from './util.js';

// The form's inputs per top-level key of a policy, for errors whose `field` names them.
const FIELD_INPUTS = {
  name: 'f-name', tenant: 'f-tenant', sender: 'f-sender', receiver: 'f-receiver', monitor: 'f-monitor',
  filter: 'f-filter', direction: 'f-direction', truncate: 'f-truncate', rate_limit: 'f-rate',
  delivery: 'f-delivery', tunnel: 'f-remote-ip',
};

class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
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

// The endpoint fields' suggestions: the topology's VMs (and "*" for the receiver).
export function renderVmLists() {
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

export async function onSubmit(event) {
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
    $('form-status').textContent = `${verb} ${policyName(saved)}.`;
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

// Fills the form with `policy` to modify it: its button becomes Save.
export function startEdit(policy) {
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

// Leaves modifying (if it was) and empties the form: back to Add policy.
export function cancelEdit() {
  const wasEditing = state.editing !== null;
  state.editing = null;
  resetForm();
  $('form-title').textContent = 'Add a policy';
  $('submit').textContent = 'Add policy';
  $('cancel-edit').hidden = true;
  if (wasEditing) renderPolicies();
}

// The tunnel's fields show only with tunnel delivery.
export function syncDelivery() {
  $('tunnel-fields').hidden = $('f-delivery').value !== 'tunnel';
}
