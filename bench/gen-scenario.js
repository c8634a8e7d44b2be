#!/usr/bin/env node
// Vendored copy of ../shared/bench/gen-scenario.js (used when the shared folder is not beside the clone, as in CI); the shared one wins when present.
// Deterministic synthetic-enterprise scenario for the agent-authorization benchmarks.
// Writes directory data, rules, requests and the expected decision of every request
// (computed by the reference implementation `decide` below) into one JSON file.
//
//   node gen-scenario.js [--seed=42] [--users=20000] ... [--out=scenario.json]
//   node gen-scenario.js --preset=1m [--requests=...] ...   (a 1,000,000-user tenant; later flags override it)
//
// No dependencies. Same parameters => byte-identical output.
'use strict';
const fs = require('fs');

const DEFAULTS = {
  seed: 42,
  users: 20000,
  groups: 2000,
  departmentGroups: 200, // top-level groups that other groups may be nested in (one level)
  nestedShare: 0.25, // share of the other groups that have a department as parent
  maxGroupsPerUser: 8,
  agents: 300,
  servers: 60,
  tools: 1500,
  rulesUseAgent: 900, // (a) group G may use agent A
  rulesAgentInvoke: 900, // (b) agent A may invoke tool T / any tool of server S
  rulesClearance: 300, // (c) group G may invoke tools of sensitivity <= L
  rulesDeny: 300, // (d) users in group G may never invoke tool T
  rulesAgentOnly: 600, // (e) agent A acting with no user may invoke tool T
  requests: 100000,
  agentOnlyShare: 0.2, // share of requests in agent-only mode
  permitTarget: 0.3, // share of requests the generator aims to make permitted
  out: 'scenario.json',
};

// Larger tenants with the default's densities: rules per agent and per group, tools per server, the share of
// department groups. A preset is applied before the other flags, and named in params only when given, so the
// default output is unchanged.
const PRESETS = {
  '1m': {
    users: 1000000,
    groups: 100000,
    departmentGroups: 10000,
    agents: 10000,
    servers: 2000,
    tools: 50000,
    rulesUseAgent: 30000,
    rulesAgentInvoke: 30000,
    rulesClearance: 15000,
    rulesDeny: 15000,
    rulesAgentOnly: 20000,
  },
};

const LEVELS = ['public', 'internal', 'confidential', 'restricted'];

const SEMANTICS = [
  'Group membership is transitive: a user is in its direct groups and in their parent groups.',
  'mode "user" (principal context): permit iff (a) some group of the user may use the agent,',
  '  (b) the agent may invoke the tool (tool rule, or server rule for the tool\'s server),',
  '  (c) some group of the user has a clearance rule with level >= the tool\'s sensitivity,',
  '  and (d) no deny rule names a group of the user and the tool.',
  'mode "agent" (agent acting with no user): permit iff (e) an agent-only rule names the agent',
  '  and the tool, and (d) no deny rule names a group of the agent\'s owner and the tool.',
  'Sensitivity levels are 0..3 = public, internal, confidential, restricted.',
].join('\n');

function parseArgs(argv) {
  const p = { ...DEFAULTS };
  const preset = argv.map((a) => /^--preset=(.*)$/.exec(a)).filter(Boolean).map((m) => m[1]).pop();
  if (preset !== undefined) {
    if (!(preset in PRESETS)) throw new Error(`unknown preset ${preset} (known: ${Object.keys(PRESETS).join(', ')})`);
    Object.assign(p, { preset }, PRESETS[preset]);
  }
  for (const a of argv) {
    if (a.startsWith('--preset=')) continue;
    const m = /^--([A-Za-z]+)=(.*)$/.exec(a);
    if (!m || !(m[1] in DEFAULTS)) throw new Error(`unknown argument ${a}`);
    p[m[1]] = typeof DEFAULTS[m[1]] === 'number' ? Number(m[2]) : m[2];
  }
  return p;
}

// mulberry32: small, fast, good enough for synthetic data.
function makeRng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (arr) => arr[int(arr.length)];
  const weighted = (weights) => {
    let r = next() * weights.reduce((x, y) => x + y, 0);
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) < 0) return i;
    return weights.length - 1;
  };
  return { next, int, pick, weighted };
}

const ids = (prefix, n) => {
  const w = String(n - 1).length;
  return Array.from({ length: n }, (_, i) => prefix + String(i).padStart(w, '0'));
};

// Draw `count` distinct items from make(); gives up after many collisions.
function distinct(count, make, keyOf) {
  const seen = new Set();
  const out = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const x = make();
    const k = keyOf(x);
    if (!seen.has(k)) { seen.add(k); out.push(x); }
  }
  return out;
}

function generateDirectory(p, rng) {
  const groupIds = ids('g', p.groups);
  const groups = groupIds.map((id, i) => ({
    id,
    parent: i >= p.departmentGroups && rng.next() < p.nestedShare ? groupIds[rng.int(p.departmentGroups)] : null,
  }));
  const users = ids('u', p.users).map((id) => {
    const k = 1 + rng.int(p.maxGroupsPerUser);
    const gs = new Set();
    while (gs.size < k) gs.add(rng.pick(groupIds));
    return { id, groups: [...gs].sort() };
  });
  const servers = ids('s', p.servers).map((id) => ({ id }));
  const tools = ids('t', p.tools).map((id) => ({
    id,
    server: rng.pick(servers).id,
    sensitivity: rng.weighted([0.35, 0.35, 0.2, 0.1]),
  }));
  const agents = ids('a', p.agents).map((id) => ({ id, owner: rng.pick(users).id }));
  return { groups, users, servers, tools, agents };
}

function generateRules(p, rng, dir) {
  const gid = () => rng.pick(dir.groups).id;
  const dept = () => dir.groups[rng.int(p.departmentGroups)].id;
  const aid = () => rng.pick(dir.agents).id;
  const tid = () => rng.pick(dir.tools).id;
  const toolsOfServer = new Map(dir.servers.map((s) => [s.id, []]));
  for (const t of dir.tools) toolsOfServer.get(t.server).push(t.id);

  const useAgent = distinct(p.rulesUseAgent, () => ({ kind: 'groupUsesAgent', group: gid(), agent: aid() }),
    (r) => r.group + r.agent);
  const invoke = distinct(p.rulesAgentInvoke, () => (rng.next() < 0.25
    ? { kind: 'agentInvokesServer', agent: aid(), server: rng.pick(dir.servers).id }
    : { kind: 'agentInvokesTool', agent: aid(), tool: tid() }), (r) => r.agent + (r.tool || r.server));
  const clearance = distinct(p.rulesClearance, () => ({
    kind: 'groupClearance', group: rng.next() < 0.4 ? dept() : gid(), maxSensitivity: rng.weighted([0.3, 0.35, 0.25, 0.1]),
  }), (r) => r.group + r.maxSensitivity);

  // Tools some agent may invoke: denies and agent-only rules mostly target those.
  const reach = new Map(dir.agents.map((a) => [a.id, new Set()]));
  for (const r of invoke) for (const t of r.tool ? [r.tool] : toolsOfServer.get(r.server)) reach.get(r.agent).add(t);
  const reachable = [...new Set([...reach.values()].flatMap((s) => [...s]))].sort();

  const agentOnly = distinct(p.rulesAgentOnly, () => {
    const agent = aid();
    const own = [...reach.get(agent)];
    return { kind: 'agentOnlyTool', agent, tool: own.length && rng.next() < 0.5 ? rng.pick(own) : tid() };
  }, (r) => r.agent + r.tool);
  // Denies mostly target tools some agent may invoke; some target an agent owner's group
  // and that agent's agent-only tool, so the owner check of agent-only mode matters too.
  const ownerGroups = new Map(dir.users.map((u) => [u.id, u.groups]));
  const ownerOf = new Map(dir.agents.map((a) => [a.id, a.owner]));
  const deny = distinct(p.rulesDeny, () => {
    const x = rng.next();
    if (x < 0.1) {
      const r = rng.pick(agentOnly);
      return { kind: 'groupDeniedTool', group: rng.pick(ownerGroups.get(ownerOf.get(r.agent))), tool: r.tool };
    }
    return { kind: 'groupDeniedTool', group: gid(), tool: x < 0.8 ? rng.pick(reachable) : tid() };
  }, (r) => r.group + r.tool);
  return [...useAgent, ...invoke, ...clearance, ...deny, ...agentOnly];
}

// ---- Reference implementation: straightforward sets and loops. ----
function buildModel(sc) {
  const parent = new Map(sc.groups.map((g) => [g.id, g.parent]));
  const m = {
    memberOf: new Map(), // user -> direct groups + their parents
    tool: new Map(sc.tools.map((t) => [t.id, t])),
    owner: new Map(sc.agents.map((a) => [a.id, a.owner])),
    useAgent: new Set(), agentTool: new Set(), agentServer: new Set(),
    clearance: new Map(), deny: new Set(), agentOnly: new Set(),
  };
  for (const u of sc.users) {
    const gs = new Set(u.groups);
    for (const g of u.groups) if (parent.get(g)) gs.add(parent.get(g));
    m.memberOf.set(u.id, [...gs]);
  }
  for (const r of sc.rules) {
    switch (r.kind) {
      case 'groupUsesAgent': m.useAgent.add(`${r.group}|${r.agent}`); break;
      case 'agentInvokesTool': m.agentTool.add(`${r.agent}|${r.tool}`); break;
      case 'agentInvokesServer': m.agentServer.add(`${r.agent}|${r.server}`); break;
      case 'groupClearance': m.clearance.set(r.group, Math.max(r.maxSensitivity, m.clearance.get(r.group) ?? -1)); break;
      case 'groupDeniedTool': m.deny.add(`${r.group}|${r.tool}`); break;
      case 'agentOnlyTool': m.agentOnly.add(`${r.agent}|${r.tool}`); break;
      default: throw new Error(`unknown rule kind ${r.kind}`);
    }
  }
  return m;
}

function decide(m, req) {
  const tool = m.tool.get(req.tool);
  const denied = (user) => m.memberOf.get(user).some((g) => m.deny.has(`${g}|${req.tool}`));
  if (req.mode === 'agent') {
    return m.agentOnly.has(`${req.agent}|${req.tool}`) && !denied(m.owner.get(req.agent));
  }
  const groups = m.memberOf.get(req.user);
  const mayUseAgent = groups.some((g) => m.useAgent.has(`${g}|${req.agent}`));
  const agentMayInvoke = m.agentTool.has(`${req.agent}|${req.tool}`) || m.agentServer.has(`${req.agent}|${tool.server}`);
  const cleared = groups.some((g) => (m.clearance.get(g) ?? -1) >= tool.sensitivity);
  return mayUseAgent && agentMayInvoke && cleared && !denied(req.user);
}

// ---- Requests: aim each one at permit or deny, then label it with decide(). ----
function generateRequests(p, rng, sc, m) {
  const agentsOfGroup = new Map();
  const membersOfGroup = new Map();
  const reach = new Map(sc.agents.map((a) => [a.id, []]));
  const agentOnlyTools = new Map(sc.agents.map((a) => [a.id, []]));
  const toolsOfServer = new Map(sc.servers.map((s) => [s.id, []]));
  const push = (map, k, v) => (map.get(k) || map.set(k, []).get(k)).push(v);
  for (const t of sc.tools) toolsOfServer.get(t.server).push(t.id);
  for (const u of sc.users) for (const g of m.memberOf.get(u.id)) push(membersOfGroup, g, u.id);
  for (const r of sc.rules) {
    if (r.kind === 'groupUsesAgent') push(agentsOfGroup, r.group, r.agent);
    if (r.kind === 'agentInvokesTool') reach.get(r.agent).push(r.tool);
    if (r.kind === 'agentInvokesServer') reach.get(r.agent).push(...toolsOfServer.get(r.server));
    if (r.kind === 'agentOnlyTool') agentOnlyTools.get(r.agent).push(r.tool);
  }
  const reachSet = new Map([...reach].map(([a, ts]) => [a, new Set(ts)]));
  const denyRules = sc.rules.filter((r) => r.kind === 'groupDeniedTool');
  const ownerDenied = sc.rules.filter((r) => r.kind === 'agentOnlyTool')
    .map((r) => ({ user: null, agent: r.agent, tool: r.tool, mode: 'agent' })).filter((r) => !decide(m, r));
  const usable = (u) => [...new Set(m.memberOf.get(u).flatMap((g) => agentsOfGroup.get(g) || []))].sort();
  const user = () => rng.pick(sc.users).id;
  const agent = () => rng.pick(sc.agents).id;
  const tool = () => rng.pick(sc.tools).id;
  const pickOr = (arr, fallback) => (arr.length ? rng.pick(arr) : fallback());

  // A plausible delegated request: a user, an agent they may use, a tool that agent may invoke.
  const plausibleUser = () => {
    const u = user();
    const a = pickOr(usable(u), agent);
    return { user: u, agent: a, tool: pickOr(reach.get(a), tool), mode: 'user' };
  };
  const userDenyShapes = [
    () => ({ ...plausibleUser(), tool: tool() }), // tool outside the agent's reach
    () => ({ ...plausibleUser(), agent: agent() }), // agent the user may not use
    () => ({ ...plausibleUser(), user: user() }), // someone else's request
    () => plausibleUser(), // usually fails on clearance or a deny
    () => { // hits a deny rule, through an agent that could otherwise invoke the tool
      const r = rng.pick(denyRules);
      const u = pickOr(membersOfGroup.get(r.group) || [], user);
      const agents = usable(u);
      const a = pickOr(agents.filter((x) => reachSet.get(x).has(r.tool)), () => pickOr(agents, agent));
      return { user: u, agent: a, tool: r.tool, mode: 'user' };
    },
  ];
  const plausibleAgent = () => {
    const a = agent();
    return { user: null, agent: a, tool: pickOr(agentOnlyTools.get(a), tool), mode: 'agent' };
  };
  const agentDenyShapes = [
    () => ({ ...plausibleAgent(), tool: tool() }),
    () => { const a = agent(); return { user: null, agent: a, tool: pickOr(reach.get(a), tool), mode: 'agent' }; },
    () => plausibleAgent(),
    () => pickOr(ownerDenied, plausibleAgent), // agent-only rule, but the owner is denied the tool
  ];

  const requests = [];
  for (let i = 0; i < p.requests; i++) {
    const agentMode = rng.next() < p.agentOnlyShare;
    const wantPermit = rng.next() < p.permitTarget;
    let req;
    for (let tries = 0; tries < 100; tries++) {
      if (wantPermit) req = agentMode ? plausibleAgent() : plausibleUser();
      else req = rng.pick(agentMode ? agentDenyShapes : userDenyShapes)();
      if (decide(m, req) === wantPermit) break;
    }
    requests.push({ ...req, expected: decide(m, req) ? 'permit' : 'deny' });
  }
  return requests;
}

// One array element per line: greppable, diff-friendly, still plain JSON.
function toJson(sc) {
  const parts = Object.entries(sc).map(([k, v]) => (Array.isArray(v)
    ? `"${k}": [\n${v.map((x) => JSON.stringify(x)).join(',\n')}\n]`
    : `"${k}": ${JSON.stringify(v)}`));
  return `{\n${parts.join(',\n')}\n}\n`;
}

function main() {
  const p = parseArgs(process.argv.slice(2));
  const rng = makeRng(p.seed);
  const dir = generateDirectory(p, rng);
  const sc = { format: 'agent-authz-scenario/1', params: { ...p, out: undefined }, semantics: SEMANTICS, sensitivityLevels: LEVELS };
  Object.assign(sc, dir);
  sc.rules = generateRules(p, rng, dir);
  const m = buildModel(sc);
  sc.requests = generateRequests(p, rng, sc, m);

  const count = (xs, f) => xs.reduce((acc, x) => ((acc[f(x)] = (acc[f(x)] || 0) + 1), acc), {});
  const stats = {
    rules: count(sc.rules, (r) => r.kind),
    requests: count(sc.requests, (r) => `${r.mode}:${r.expected}`),
    permitShare: sc.requests.filter((r) => r.expected === 'permit').length / sc.requests.length,
  };
  const out = toJson({ ...sc, stats });
  fs.writeFileSync(p.out, out);
  console.log(JSON.stringify({ out: p.out, bytes: out.length, ...stats }));
}

if (require.main === module) main();
module.exports = { buildModel, decide };
