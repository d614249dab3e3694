// A policy's endpoints ({mac}, {ip}, "*") and the topology's VMs they name.
import { state } from './state.js';
import { text } from './util.js';

export function hostOf(endpoint) {
  if (!endpoint || endpoint === '*') return null;
  const mac = endpoint.mac?.toLowerCase();
  return state.topology.hosts.find((h) => (mac && h.mac.toLowerCase() === mac)
    || (endpoint.ip && (h.ip === endpoint.ip || h.ipv6 === endpoint.ip))) || null;
}

// A table cell for an endpoint: the VM's name when the topology knows it, then the address.
export function endpointCell(endpoint) {
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

// An endpoint as the form shows it: the VM's name when the topology knows it, else its address.
export function endpointText(endpoint) {
  if (endpoint === '*') return '*';
  if (!endpoint) return '';
  return hostOf(endpoint)?.name || endpoint.mac || endpoint.ip || '';
}
