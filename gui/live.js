// Live updates: the counters polled from GET /v1/stats, the event stream, and the badge saying both flow.
import { streamEvents } from './events.js';
import { scheduleReload } from './load.js';
import { updateCounters } from './policies.js';
import { failed } from './session.js';
import { state } from './state.js';
import { $ } from './util.js';

const POLL_MS = 1000;
const RATE_WINDOW_MS = 5000;

export function setLive(message) {
  $('live').textContent = message;
}

export function liveStatus() {
  if (!state.pollOk) return;
  setLive(state.streamOpen ? 'live' : 'live (counters only; events reconnecting)');
}

export async function pollStats() {
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

export function startLive() {
  stopLive();
  state.abort = new AbortController();
  state.pollTimer = setInterval(pollStats, POLL_MS);
  streamEvents(state.abort.signal);
}

export function stopLive() {
  clearInterval(state.pollTimer);
  clearTimeout(state.reloadTimer);
  state.abort?.abort();
  state.abort = null;
  state.streamOpen = false;
}
