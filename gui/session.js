// Signing in and out: the token kept in the tab's sessionStorage, and what a refused token does.
import { Api, ApiError } from './api.js';
import { cancelEdit } from './form.js';
import { loadAll } from './load.js';
import { setLive, startLive, stopLive } from './live.js';
import { state, topologyOf } from './state.js';
import { $ } from './util.js';

const TOKEN_KEY = 'vtap.token';

export function showSignIn(message = '') {
  $('app').hidden = true;
  $('session').hidden = true;
  $('sign-in-section').hidden = false;
  $('token-error').textContent = message;
  $('token').setAttribute('aria-invalid', message ? 'true' : 'false');
  $('token').focus();
}

export async function signIn(token) {
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

export function signOut(message = '') {
  stopLive();
  sessionStorage.removeItem(TOKEN_KEY);
  state.api = null;
  state.policies = [];
  state.stats.clear();
  state.topology = topologyOf();
  state.switchStatus = null;
  cancelEdit();
  $('policies').tBodies[0].replaceChildren();
  $('events').replaceChildren();
  $('explanation').replaceChildren();
  $('topology').replaceChildren();
  showSignIn(message);
}

// The token this tab signed in with, if any.
export const savedToken = () => sessionStorage.getItem(TOKEN_KEY);

// What a failed request does: a refused token signs out, anything else shows in the badge.
export function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    signOut('vtapd no longer accepts this token: sign in again.');
  } else {
    if (!(e instanceof ApiError)) console.error(e);
    setLive(`error: ${e.message}`);
  }
}
