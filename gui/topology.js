// The topology as an inline SVG, and the path a policy's copies take over it.

const SVG = 'http://www.w3.org/2000/svg';
const HOSTS_PER_ROW = 4;
const HOST_W = 58;
const HOST_ROW_H = 46;

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function titled(node, text) {
  el('title', {}, node).textContent = text;
  return node;
}

// Switch adjacency from the links, neighbours sorted by name (the translator breaks ties
// between equally short paths by switch name).
export function adjacency(topology) {
  const next = new Map((topology.switches || []).map((s) => [s.name, new Set()]));
  for (const link of topology.links || []) {
    const a = link.a.switch;
    const b = link.b.switch;
    if (!next.has(a) || !next.has(b) || a === b) continue;
    next.get(a).add(b);
    next.get(b).add(a);
  }
  return new Map([...next].map(([k, v]) => [k, [...v].sort()]));
}

// The shortest path in hops from switch `from` to switch `to` (breadth-first), as a list of
// switch names including both ends; null when there is none.
export function shortestPath(topology, from, to) {
  const next = adjacency(topology);
  if (!next.has(from) || !next.has(to)) return null;
  const parent = new Map([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const here = queue.shift();
    if (here === to) break;
    for (const n of next.get(here)) {
      if (!parent.has(n)) {
        parent.set(n, here);
        queue.push(n);
      }
    }
  }
  if (!parent.has(to)) return null;
  const path = [];
  for (let s = to; s !== null; s = parent.get(s)) path.unshift(s);
  return path;
}

// Switches in columns by breadth-first depth from the first switch (by name) of each
// connected component: a line of switches is drawn as a line, a tree as a tree.
function layout(topology) {
  const names = (topology.switches || []).map((s) => s.name).sort();
  const next = adjacency(topology);
  const hostsOf = new Map(names.map((n) => [n, []]));
  for (const h of topology.hosts || []) if (hostsOf.has(h.switch)) hostsOf.get(h.switch).push(h);
  for (const list of hostsOf.values()) list.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));

  const columns = [];
  const seen = new Set();
  let rowBase = 0;
  for (const root of names) {
    if (seen.has(root)) continue;
    const layers = [];
    seen.add(root);
    let frontier = [root];
    while (frontier.length) {
      layers.push(frontier);
      const following = [];
      for (const s of frontier) for (const n of next.get(s)) if (!seen.has(n)) { seen.add(n); following.push(n); }
      frontier = following;
    }
    layers.forEach((layer, depth) => {
      columns[depth] = columns[depth] || [];
      layer.forEach((s, i) => columns[depth].push({ name: s, row: rowBase + i }));
    });
    rowBase += Math.max(...layers.map((l) => l.length));
  }
  const maxHosts = Math.max(1, ...[...hostsOf.values()].map((l) => l.length));
  const cellW = Math.max(150, Math.min(maxHosts, HOSTS_PER_ROW) * HOST_W + 30);
  const cellH = 90 + Math.ceil(maxHosts / HOSTS_PER_ROW) * HOST_ROW_H;
  const position = new Map();
  columns.forEach((column, depth) => column.forEach(({ name, row }) => {
    position.set(name, { x: 20 + depth * cellW + cellW / 2, y: 40 + row * cellH });
  }));
  return {
    position, hostsOf,
    width: Math.max(1, columns.length) * cellW + 40,
    height: Math.max(1, rowBase) * cellH + 20,
  };
}

// Draws `topology` into `container` (replacing what was there). `highlight` (optional):
// {paths: [[switch, ...], ...], sender, receiver, monitor} with host names.
export function renderTopology(container, topology, highlight = null, switchStatus = null) {
  const { position, hostsOf, width, height } = layout(topology);
  const hosts = topology.hosts || [];
  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`, width: Math.round(width * 1.25), height: Math.round(height * 1.25),
    role: 'img', 'aria-labelledby': 'topology-svg-title',
  });
  el('title', { id: 'topology-svg-title' }, svg).textContent =
    `${(topology.switches || []).length} switches, ${(topology.links || []).length} links, ${hosts.length} VMs`;

  const onPath = new Set();
  const pathLinks = new Set();
  for (const path of highlight?.paths || []) {
    path.forEach((s, i) => {
      onPath.add(s);
      if (i) pathLinks.add([path[i - 1], s].sort().join('|'));
    });
  }

  const links = el('g', { class: 'links' }, svg);
  for (const link of topology.links || []) {
    const a = position.get(link.a.switch);
    const b = position.get(link.b.switch);
    if (!a || !b) continue;
    const key = [link.a.switch, link.b.switch].sort().join('|');
    const line = el('line', {
      x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: pathLinks.has(key) ? 'link path' : 'link',
    }, links);
    titled(line, `link ${link.a.switch}:${link.a.port} – ${link.b.switch}:${link.b.port}`);
  }

  const vms = el('g', { class: 'vms' }, svg);
  const roles = highlight ? { sender: highlight.sender, receiver: highlight.receiver, monitor: highlight.monitor } : {};
  for (const [sw, list] of hostsOf) {
    const p = position.get(sw);
    const perRow = Math.min(list.length, HOSTS_PER_ROW);
    list.forEach((h, i) => {
      const row = Math.floor(i / HOSTS_PER_ROW);
      const inRow = row === Math.floor((list.length - 1) / HOSTS_PER_ROW) ? list.length - row * HOSTS_PER_ROW : perRow;
      const col = i % HOSTS_PER_ROW;
      const x = p.x + (col - (inRow - 1) / 2) * HOST_W;
      const y = p.y + 70 + row * HOST_ROW_H;
      el('line', { x1: p.x, y1: p.y + 14, x2: x, y2: y - 10, class: 'attach' }, vms);
      const role = Object.keys(roles).filter((r) => roles[r] === h.name);
      const g = el('g', { class: ['vm', ...role.map((r) => `role-${r}`)].join(' ') }, vms);
      titled(g, `${h.name}: ${h.mac}${h.ip ? `, ${h.ip}` : ''}${h.ipv6 ? `, ${h.ipv6}` : ''} on ${sw} port ${h.port}` +
        `${h.tenant ? `, tenant ${h.tenant}` : ''}${role.length ? ` (${role.join(', ')})` : ''}`);
      el('rect', { x: x - 25, y: y - 10, width: 50, height: 22, rx: 4 }, g);
      el('text', { x, y: y + 5, 'text-anchor': 'middle' }, g).textContent = h.name;
    });
  }

  const switches = el('g', { class: 'switches' }, svg);
  for (const s of topology.switches || []) {
    const p = position.get(s.name);
    const status = switchStatus?.get(s.name);
    const classes = ['switch'];
    if (onPath.has(s.name)) classes.push('on-path');
    if (status && !status.connected) classes.push('down');
    const g = el('g', { class: classes.join(' ') }, switches);
    titled(g, `switch ${s.name} (dpid ${s.dpid})${status ? (status.connected ? ', connected' : ', disconnected') : ''}`);
    el('rect', { x: p.x - 30, y: p.y - 16, width: 60, height: 32, rx: 8 }, g);
    el('text', { x: p.x, y: p.y + 5, 'text-anchor': 'middle' }, g).textContent = s.name;
  }
  container.replaceChildren(svg);
}
