// Small helpers shared by the GUI's modules: finding and building elements, formatting.

export const $ = (id) => document.getElementById(id);

// An element `tag` holding `content` as text (none when it is undefined or null), with `attributes`.
export function text(tag, content, attributes = {}) {
  const node = document.createElement(tag);
  if (content !== undefined && content !== null) node.textContent = String(content);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  return node;
}

export const number = (n) => Number(n).toLocaleString('en');

// "policy 3 (web)", or "policy 3" for a policy without a name.
export const policyName = (p) => `policy ${p.id}${p.name ? ` (${p.name})` : ''}`;
