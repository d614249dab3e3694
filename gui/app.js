// libvtap's GUI: a client of vtapd's HTTP API only (docs/api.md, docs/gui.md). This module
// starts the page: it wires the controls to the modules that handle them and signs in with
// the tab's token. Those modules call each other's functions (some of them cyclically, which
// ES modules allow) but none calls another while loading: everything starts here.
import { onExplain } from './explain.js';
import { cancelEdit, onSubmit, syncDelivery } from './form.js';
import { loadAll } from './load.js';
import { renderPath } from './path.js';
import { onTableClick } from './policies.js';
import { savedToken, showSignIn, signIn, signOut } from './session.js';
import { state } from './state.js';
import { $ } from './util.js';

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
  const token = savedToken();
  if (token) signIn(token);
  else showSignIn();
}

main();
