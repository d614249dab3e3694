// The event stream (GET /v1/events, read with fetch() by api.js): the list of the last events,
// and the reloads they call for.
import { ApiError } from './api.js';
import { liveStatus } from './live.js';
import { reloadTopology, scheduleReload } from './load.js';
import { failed } from './session.js';
import { state } from './state.js';
import { $, text } from './util.js';

const RECONNECT_MS = 2000;
const MAX_EVENTS = 50;

// Reads the stream until `signal` aborts, reconnecting RECONNECT_MS after it breaks.
export async function streamEvents(signal) {
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
