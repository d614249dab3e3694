// Explain a packet: POST /v1/explain, and its answer (copies, deliveries, each policy's verdict).
import { ApiError } from './api.js';
import { failed } from './session.js';
import { state } from './state.js';
import { $, text } from './util.js';

export async function onExplain(event) {
  event.preventDefault();
  const out = $('explanation');
  $('e-packet').textContent = '';
  $('x-packet').removeAttribute('aria-invalid');
  const packet = $('x-packet').value.trim();
  if (!packet) {
    $('e-packet').textContent = 'Type a packet, e.g. tcp,dl_src=…,tp_dst=80';
    return;
  }
  let answer;
  try {
    answer = await state.api.explain(packet);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return failed(e);
    $('e-packet').textContent = e.message;
    $('x-packet').setAttribute('aria-invalid', 'true');
    out.replaceChildren();
    return;
  }
  const nodes = [];
  const copies = answer.copies || [];
  nodes.push(text('p', copies.length
    ? `${copies.length} ${copies.length === 1 ? 'copy' : 'copies'} of this packet from ${answer.sender}:`
    : `No copy of this packet from ${answer.sender}.`, { class: 'summary' }));
  if (copies.length) {
    const list = text('ul', null, { class: 'copies' });
    for (const c of copies) {
      list.append(text('li', `${c.target}, for ${c.policies.length === 1 ? 'policy' : 'policies'} ${c.policies.join(', ')}`));
    }
    nodes.push(list);
  }
  if (answer.delivered?.length) nodes.push(text('p', `Walking the plan delivers to: ${answer.delivered.join(', ')}.`));
  if (answer.verdicts?.length) {
    const table = text('table', null, { class: 'verdicts' });
    table.append(text('caption', 'Verdict of each policy'));
    const head = text('tr');
    for (const h of ['Policy', 'Direction', 'Matches', 'Reason']) head.append(text('th', h, { scope: 'col' }));
    table.createTHead().append(head);
    const body = table.createTBody();
    for (const v of answer.verdicts) {
      const row = text('tr', null, { class: v.matches ? 'match' : 'miss' });
      row.append(text('td', v.policy), text('td', v.reverse ? 'reverse' : 'forward'),
        text('td', v.matches ? 'yes' : 'no'), text('td', v.reason || ''));
      body.append(row);
    }
    nodes.push(table);
  }
  const details = text('details');
  details.append(text('summary', 'vtapctl explain'), text('pre', answer.text));
  nodes.push(details);
  out.replaceChildren(...nodes);
}
