// What the page knows: the session, the caller's policies, the topology and the live counters.

// A topology from GET /v1/topology (or none) with every list present.
export const topologyOf = (topology) => ({ switches: [], hosts: [], links: [], ...topology });

export const state = {
  api: null,
  administrator: false,
  tenant: '',
  topology: topologyOf(),
  switchStatus: null,
  policies: [],
  stats: new Map(),      // id -> {active, packets, copies, ..., rate, samples: [{at, copies}]}
  editing: null,         // the policy being modified, or null
  original: {},          // field -> {text, endpoint}: endpoints shown in the form while modifying
  abort: null,
  pollTimer: null,
  reloadTimer: null,
  streamOpen: false,
  pollOk: true,
};
