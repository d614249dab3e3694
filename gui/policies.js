// The policies table: one row per policy with its live counters, and its Edit, Path and Remove buttons.
import { endpointCell } from './endpoints.js';
import { startEdit } from './form.js';
import { renderPath, renderPathChoices } from './path.js';
import { confirmRemove } from './remove.js';
import { state } from './state.js';
import { $, number, policyName, text } from './util.js';

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

export function renderPolicies() {
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
    const label = policyName(p);
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

// Fills each row's state and counter cells from the last stats polled.
export function updateCounters() {
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

export async function onTableClick(event) {
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
