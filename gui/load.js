// Loading the caller's identity, policies and topology from vtapd, and reloading them.
import { renderVmLists } from './form.js';
import { pollStats } from './live.js';
import { renderPath } from './path.js';
import { renderPolicies } from './policies.js';
import { failed } from './session.js';
import { state, topologyOf } from './state.js';
import { $ } from './util.js';

// An administrator's view of the switches (GET /v1/switches): name -> status.
async function switchStatus() {
  return new Map((await state.api.switches()).map((s) => [s.name, s]));
}

// Who is signed in: GET /v1/whoami; an administrator also sees the switches' status.
async function identify() {
  const me = await state.api.whoami();
  state.administrator = me.administrator;
  state.tenant = me.tenant || '';
  state.switchStatus = state.administrator ? await switchStatus() : null;
  $('who').textContent = state.administrator ? 'administrator' : `tenant ${state.tenant}`;
  $('tenant-field').hidden = !state.administrator;
}

export async function loadAll() {
  try {
    const [policies, topology] = await Promise.all([state.api.policies(), state.api.topology()]);
    state.policies = policies;
    state.topology = topologyOf(topology);
    await identify();
  } catch (e) {
    return failed(e);
  }
  renderVmLists();
  renderPolicies();
  renderPath();
  await pollStats();
}

export async function reloadPolicies() {
  if (!state.api) return;
  try {
    state.policies = await state.api.policies();
  } catch (e) {
    return failed(e);
  }
  renderPolicies();
  renderPath();
}

export async function reloadTopology() {
  if (!state.api) return;
  try {
    state.topology = topologyOf(await state.api.topology());
    if (state.administrator) state.switchStatus = await switchStatus();
  } catch (e) {
    return failed(e);
  }
  renderVmLists();
  renderPolicies();
  renderPath();
}

// Coalesces the reloads a burst of events asks for.
export function scheduleReload() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(() => { reloadPolicies(); pollStats(); }, 100);
}
