// Removing a policy after a confirmation in a modal dialog (Cancel is its default button).
import { cancelEdit } from './form.js';
import { reloadPolicies } from './load.js';
import { state } from './state.js';
import { $, policyName } from './util.js';

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

// Asks, then removes `policy`; focus returns to `button` when the answer is no.
export async function confirmRemove(policy, button) {
  const name = policyName(policy);
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
