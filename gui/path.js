// The topology drawing (topology.js) and the path of the policy chosen in "Path of policy".
import { hostOf } from './endpoints.js';
import { state } from './state.js';
import { renderTopology, shortestPath } from './topology.js';
import { $, text } from './util.js';

// The "Path of policy" choices: none, then each policy, keeping the choice while it exists.
export function renderPathChoices() {
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

export function renderPath() {
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
