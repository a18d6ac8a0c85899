/**
 * Hand-drawn SVG for the HTML report (no scripts, no CDN): the request path of a scenario with its trust
 * boundaries, the spin-up timeline, and the resource graph as a layered DAG. Pure string builders.
 */
import type { RegisteredResource } from "../mock-engine";
import type { Endpoint, Protection, ScenarioAnalysis } from "./analysis";
import { escapeHtml, nameFromUrn, typeName } from "../shared/text";
import { timeAxisSvg } from "../shared/time-axis-svg";
import { isProvisioned, type ScenarioEstimate } from "./estimates";
import { criticalPath, type ScheduleNode, scheduleNodes, transitiveReduction } from "./graph";
import { fmtMinutes } from "./model";
import { MODEL_FAILOVER, MODEL_REACHED_PRIVATELY, modelPool } from "./model-path";

const COLORS = {
  internet: "#c0392b",
  restricted: "#d68910",
  private: "#1e8449",
  muted: "#7f8c8d",
  ink: "#1c2833",
  vnet: "#1e8449",
  aks: "#2e86c1",
  critical: "#c0392b",
  edge: "#aab7b8",
};

const reachColor = (e: Endpoint) =>
  e.reach === "internet" ? COLORS.internet : e.reach === "internet-restricted" ? COLORS.restricted : e.reach === "unknown" ? COLORS.muted : COLORS.private;

const text = (x: number, y: number, s: string, attrs = "") => `<text x="${x}" y="${y}" ${attrs}>${escapeHtml(s)}</text>`;

const ARROW_DEFS = `<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS.ink}"/></marker>
<marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS.internet}"/></marker>
<marker id="arrow-grey" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS.edge}"/></marker>
</defs>`;

export interface TopologyInput {
  scenario: string;
  analysis: ScenarioAnalysis;
  resources: readonly RegisteredResource[];
}

/**
 * The WAF hop: the edge (Application Gateway) as a small box on the VNet's boundary, on the client → APIM arrow,
 * its border coloured by whether its WAF blocks (Prevention) or only logs.
 */
function edgeParts(edge: Endpoint, cx: number, y: number, nodeH: number): string[] {
  const w = 108;
  const h = 46;
  const blocking = /WAF Prevention/.test(edge.summary);
  const stroke = blocking ? COLORS.private : COLORS.internet;
  const top = y + (nodeH - h) / 2;
  return [
    `<g class="edge-node"><rect x="${cx - w / 2}" y="${top}" width="${w}" height="${h}" rx="6" fill="#ffffff" stroke="${stroke}" stroke-width="2.2"/>`,
    text(cx, top + 19, "App Gateway", `text-anchor="middle" font-size="11.5" font-weight="600" fill="${COLORS.ink}"`),
    text(cx, top + 35, edge.summary.replace(/^internet, /, ""), `text-anchor="middle" font-size="11" font-weight="600" fill="${stroke}"`),
    `</g>`,
  ];
}

/**
 * client -> APIM -> ingress -> AI API -> model, left to right. The VNet is a dashed box around what lives in
 * it, the AKS cluster a box inside it; each node's border says who can reach it; under each arrow, the
 * protections of that hop (✓ present, ✗ missing). A dashed red arrow shows a direct path from the internet
 * to the AI API when the ingress is public.
 */
export function topologySvg(input: TopologyInput): string {
  const { analysis: a, resources } = input;
  const W = 1300;
  const nodeW = 150;
  const nodeH = 74;
  const xs = [20, 295, 570, 845, 1120];
  const y = 92;
  // Tall enough for the longest list of protections under a hop (15 px a line).
  const H = Math.max(350, y + nodeH + 88 + Math.max(0, ...a.hops.map((h) => h.protections.length - 1)) * 15 + 12);
  const find = (type: string) => resources.find((r) => r.type === type);
  const apim = find("azure-native:apimanagement:ApiManagementService");
  const aks = find("azure-native:containerservice:ManagedCluster");
  const deployment = find("azure-native:cognitiveservices:Deployment");
  const sku = (apim?.inputs.sku as { name?: string } | undefined)?.name ?? "?";
  const apimInVnet = a.apimVnetMode !== "None";
  const model = (deployment?.inputs.properties as { model?: { name?: string } } | undefined)?.model?.name ?? "model";
  const accountCount = resources.filter((r) => r.type === "azure-native:cognitiveservices:Account").length;
  const nodes: { title: string; sub: string; reach?: Endpoint }[] = [
    { title: "Client", sub: a.endpoints.apim.reach === "vnet" && !a.endpoints.edge ? "VM, VPN or peered net" : "internet" },
    { title: "API Management", sub: `${sku}${a.apimVnetMode === "Integration" ? ", integrated" : apimInVnet ? `, ${a.apimVnetMode} VNet` : ", no VNet"}`, reach: a.endpoints.apim },
    { title: "Ingress (Traefik)", sub: a.endpoints.ingress.summary.replace(/\*$/, " (traits)"), reach: a.endpoints.ingress },
    { title: "AI API", sub: `pods on AKS${aks ? "" : " (not in graph)"}` },
    { title: accountCount > 1 ? `Azure OpenAI ×${accountCount}` : "Azure OpenAI", sub: `${model}, ${a.endpoints.openAi.summary.replace(/^internet, /, "")}`, reach: a.endpoints.openAi },
  ];
  const parts: string[] = [];
  parts.push(`<svg class="topology" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`${input.scenario}: request path and trust boundaries`)}" font-family="system-ui, sans-serif" font-size="13">`);
  parts.push(ARROW_DEFS);
  // Zones: the internet band on the left, the VNet and the cluster boxes.
  // With an edge the caller is on the internet and the VNet's boundary runs through the edge, between client and APIM.
  const edgeX = Math.round((xs[0] + nodeW + xs[1]) / 2);
  const callerInVnet = a.endpoints.apim.reach === "vnet" && !a.endpoints.edge;
  const vnetX = a.endpoints.edge ? edgeX : callerInVnet ? xs[0] - 12 : apimInVnet ? xs[1] - 18 : xs[2] - 30;
  const vnetRight = xs[3] + nodeW + 22;
  parts.push(`<rect x="${vnetX}" y="34" width="${vnetRight - vnetX}" height="${nodeH + 100}" rx="10" fill="#eafaf1" stroke="${COLORS.vnet}" stroke-dasharray="7 5" stroke-width="1.5"/>`);
  parts.push(text(vnetRight - 10, 52, "VNet (trust boundary)", `text-anchor="end" fill="${COLORS.vnet}" font-weight="600"`));
  parts.push(`<rect x="${xs[2] - 14}" y="62" width="${xs[3] + nodeW + 14 - (xs[2] - 14)}" height="${nodeH + 62}" rx="8" fill="#ebf5fb" stroke="${COLORS.aks}" stroke-width="1.2"/>`);
  parts.push(text(xs[3] + nodeW + 6, 78, `AKS cluster — API server: ${a.endpoints.aksApi.summary}`, `text-anchor="end" fill="${COLORS.aks}" font-size="12"`));
  parts.push(text(W - 8, 52, "Azure PaaS (outside the VNet)", `text-anchor="end" fill="${COLORS.muted}" font-size="12"`));
  parts.push(text(xs[0], callerInVnet ? 78 : 52, callerInVnet ? "Caller in the VNet" : "Internet", `fill="${COLORS.muted}" font-size="12"`));

  nodes.forEach((n, i) => {
    const stroke = n.reach ? reachColor(n.reach) : COLORS.ink;
    parts.push(`<g class="node"><rect x="${xs[i]}" y="${y}" width="${nodeW}" height="${nodeH}" rx="8" fill="#ffffff" stroke="${stroke}" stroke-width="${n.reach ? 2.5 : 1.2}"/>`);
    parts.push(text(xs[i] + nodeW / 2, y + 28, n.title, `text-anchor="middle" font-weight="600" fill="${COLORS.ink}"`));
    parts.push(text(xs[i] + nodeW / 2, y + 48, n.sub.length > 24 ? `${n.sub.slice(0, 23)}…` : n.sub, `text-anchor="middle" font-size="11.5" fill="${COLORS.muted}"`));
    if (n.reach) {
      const label = n.reach.reach === "internet" ? "public" : n.reach.reach === "internet-restricted" ? "public, restricted" : n.reach.reach === "vnet" ? "private" : n.reach.reach;
      parts.push(text(xs[i] + nodeW / 2, y + 65, label, `text-anchor="middle" font-size="11" font-weight="600" fill="${stroke}"`));
    }
    parts.push(`</g>`);
  });

  // Hops with their protections.
  a.hops.forEach((hop, i) => {
    const x1 = xs[i] + nodeW;
    const x2 = xs[i + 1];
    const ym = y + nodeH / 2;
    parts.push(`<line x1="${x1 + 2}" y1="${ym}" x2="${x2 - 3}" y2="${ym}" stroke="${COLORS.ink}" stroke-width="1.6" marker-end="url(#arrow)"/>`);
    const cx = (x1 + x2) / 2;
    parts.push(text(cx, y + nodeH + 72, hop.name, `text-anchor="middle" font-size="11" font-weight="600" fill="${COLORS.ink}"`));
    hop.protections.forEach((p: Protection, j) => {
      const mark = p.present === true ? "✓" : p.present === false ? "✗" : "·";
      const color = p.present === true ? COLORS.private : p.tone === "warn" ? COLORS.restricted : p.present === false ? COLORS.internet : COLORS.muted;
      const label = `${mark} ${p.name}`;
      parts.push(text(cx, y + nodeH + 88 + j * 15, label.length > 25 ? `${label.slice(0, 24)}…` : label, `text-anchor="middle" font-size="11" fill="${color}"`));
    });
  });

  parts.push(...modelPathParts(a, resources, { modelX: xs[4], apiRight: xs[3] + nodeW, vnetRight, y, nodeW, nodeH }));
  if (a.endpoints.edge) parts.push(...edgeParts(a.endpoints.edge, edgeX, y, nodeH));

  // The bypass: anyone on the internet can call the AI API when its ingress is public.
  if (a.endpoints.ingress.reach === "internet" || a.endpoints.ingress.reach === "internet-restricted") {
    const color = a.endpoints.ingress.reach === "internet" ? COLORS.internet : COLORS.restricted;
    const sx = xs[0] + nodeW / 2;
    const tx = xs[2] + nodeW / 2;
    parts.push(`<path d="M ${sx} ${y} C ${sx} 8, ${tx} 8, ${tx} ${y - 2}" fill="none" stroke="${color}" stroke-width="1.6" stroke-dasharray="6 4" marker-end="url(#${a.endpoints.ingress.reach === "internet" ? "arrow-red" : "arrow"})"/>`);
    parts.push(
      text((sx + tx) / 2, 20, a.endpoints.ingress.reach === "internet" ? "direct call from the internet bypasses APIM" : "direct call from the internet: only allow-listed addresses", `text-anchor="middle" font-size="11.5" fill="${color}" font-weight="600"`),
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}

/**
 * The model's side of the diagram (issue 16): on the arrow into Azure OpenAI, how it is reached (a private
 * endpoint on the VNet's boundary, or the account's firewall on a public endpoint); under the account, APIM's
 * pool with each member's priority and circuit breaker rule, or why there is none.
 */
function modelPathParts(a: ScenarioAnalysis, resources: readonly RegisteredResource[], at: { modelX: number; apiRight: number; vnetRight: number; y: number; nodeW: number; nodeH: number }): string[] {
  const parts: string[] = [];
  const hop = a.hops.find((h) => h.id === "api-model")?.protections ?? [];
  const reach = hop.find((p) => p.name === MODEL_REACHED_PRIVATELY);
  const failover = hop.find((p) => p.name === MODEL_FAILOVER);
  const ym = at.y + at.nodeH / 2;
  const cx = (at.apiRight + at.modelX) / 2;
  if (reach) {
    const color = reach.present === true ? COLORS.private : reach.tone === "warn" ? COLORS.restricted : reach.present === false ? COLORS.internet : COLORS.muted;
    if (reach.present === true) {
      // The private endpoint sits in the VNet: a small box on its boundary, where the call leaves for the account.
      parts.push(`<rect class="private-endpoint" x="${at.vnetRight - 13}" y="${ym - 10}" width="26" height="20" rx="4" fill="#ffffff" stroke="${color}" stroke-width="2"><title>${escapeHtml(reach.detail)}</title></rect>`);
      parts.push(text(at.vnetRight, ym + 4, "PE", `text-anchor="middle" font-size="10" font-weight="600" fill="${color}"`));
    }
    parts.push(text(cx, ym - 16, reach.present === true ? "private endpoint" : reach.summary, `class="model-reach" text-anchor="middle" font-size="10.5" font-weight="600" fill="${color}"`));
    if (reach.present === true) parts.push(text(cx, ym + 24, "privatelink DNS", `text-anchor="middle" font-size="10" fill="${COLORS.muted}"`));
  }
  const lines: { s: string; color: string; weight?: boolean }[] = [];
  const pool = modelPool(resources);
  if (pool && failover?.present === true) {
    lines.push({ s: "APIM pool, by priority:", color: COLORS.ink, weight: true });
    const locations = new Map(resources.filter((r) => r.type === "azure-native:cognitiveservices:Account").map((r) => [String(r.inputs.accountName ?? r.name), String(r.inputs.location ?? "")]));
    for (const m of pool.members) {
      const host = /^https?:\/\/([^./]+)/.exec(m.url)?.[1] ?? "";
      lines.push({ s: `${m.priority}. ${locations.get(host) || m.backendId}${m.weight ? ` (weight ${m.weight})` : ""}`, color: COLORS.ink });
    }
    const rule = /^trips on (.+?) \((\d+) in (.+?)\) for (.+?)( or the upstream's Retry-After)?$/.exec(pool.members[0]?.breakers[0] ?? "");
    if (rule) {
      lines.push({ s: `breaker: ${rule[1]}`, color: COLORS.private });
      lines.push({ s: `${rule[2]} in ${rule[3]}: out for ${rule[4]}`, color: COLORS.private });
      if (rule[5]) lines.push({ s: "(or the Retry-After)", color: COLORS.private });
    }
  } else if (failover) {
    lines.push({ s: `failover: ${failover.summary}`, color: failover.present === false ? COLORS.internet : COLORS.muted, weight: true });
  }
  lines.forEach((l, i) =>
    parts.push(text(at.modelX + 10, at.y + at.nodeH + 22 + i * 15, l.s.length > 26 ? `${l.s.slice(0, 25)}…` : l.s, `class="model-failover" font-size="11" fill="${l.color}"${l.weight ? ` font-weight="600"` : ""}`)),
  );
  return parts;
}

/** Bars from earliest start to finish for the resources that take time; the critical path in red. */
export function timelineSvg(estimate: ScenarioEstimate, scenario: string): string {
  const critical = new Set(estimate.criticalPath.map((c) => c.urn));
  const rows = estimate.timeline
    .filter((t) => critical.has(t.urn) || t.minutes >= 0.75)
    .sort((p, q) => p.start - q.start || p.finish - q.finish);
  const total = Math.max(estimate.spinUpMinutes, 1);
  return timeAxisSvg({
    className: "timeline",
    ariaLabel: `${scenario}: spin-up timeline`,
    width: 1300,
    labelWidth: 300,
    rightMargin: 40,
    rowHeight: 18,
    top: 30,
    bottom: 30,
    total,
    tickSteps: [1, 2, 5, 10, 15, 30, 60],
    maxTicks: 12,
    tickLabel: (m) => `${m} min`,
    // At 12px a character is up to about 7px wide: 42 of them fit the 300px label column.
    labelChars: 42,
    rows: rows.map((t) => {
      const colour = critical.has(t.urn) ? COLORS.critical : COLORS.aks;
      return {
        label: `${nameFromUrn(t.urn)} · ${typeName(t.type)}`,
        start: t.start,
        end: t.finish,
        colour,
        labelAttrs: `fill="${critical.has(t.urn) ? COLORS.critical : COLORS.ink}"`,
        barAttrs: `opacity="${t.kind === "observed" ? 0.65 : 0.95}"`,
        tooltip: `${nameFromUrn(t.urn)}: ${t.start}–${t.finish} min (${t.kind})`,
      };
    }),
    footer: `critical path ${fmtMinutes(estimate.spinUpMinutes)} (red) · serial sum ${fmtMinutes(estimate.serialMinutes)} · pale bars: observed durations, solid: documented`,
    look: {
      svg: `font-family="system-ui, sans-serif" font-size="12"`,
      tick: `stroke="#e5e8e8"`,
      axis: `fill="${COLORS.muted}" font-size="11"`,
      footer: `fill="${COLORS.muted}" font-size="11"`,
    },
  });
}

/** The top-level component a resource belongs to (its ancestor just below the scenario root). */
export function componentGroup(r: RegisteredResource, byUrn: Map<string, RegisteredResource>): string {
  let at = r;
  while (at.parent) {
    const parent = byUrn.get(at.parent);
    if (!parent) break;
    // `parent` is the scenario root: `at` is the top-level component (or r itself, directly under the root).
    if (!parent.parent) return at === r ? "scenario" : nameFromUrn(at.urn);
    at = parent;
  }
  return "scenario";
}

const PALETTE = ["#2e86c1", "#28b463", "#af7ac5", "#e67e22", "#16a085", "#d4ac0d", "#5d6d7e", "#cb4335", "#1abc9c", "#7d3c98"];

/**
 * Custom resources in layers by dependency depth (left to right), coloured by the component they belong to,
 * edges after transitive reduction (waits through components resolved to the resources inside them), the
 * critical path in red.
 */
export function resourceGraphSvg(resources: readonly RegisteredResource[], minutesOf: (r: RegisteredResource) => number, scenario: string): string {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const nodes = scheduleNodes(resources, minutesOf);
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const custom = resources.filter((r) => isProvisioned(r));
  const provisioned = new Set(custom.map((r) => r.urn));
  // Resolve waits on components to the provisioned resources that finish them.
  const customPreds = (id: string, seen = new Set<string>()): string[] => {
    const out = new Set<string>();
    for (const dep of nodeById.get(id)?.after ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      if (provisioned.has(dep)) out.add(dep);
      else for (const x of customPreds(dep, seen)) out.add(x);
    }
    return [...out];
  };
  const projected: ScheduleNode[] = custom.map((r) => ({ id: r.urn, type: r.type, minutes: nodeById.get(r.urn)!.minutes, after: customPreds(r.urn) }));
  const reduced = transitiveReduction(projected);
  const cp = criticalPath(projected);
  const onPath = new Set(cp.path.map((p) => p.id));
  const depth = new Map<string, number>();
  const depthOf = (id: string): number => {
    if (depth.has(id)) return depth.get(id)!;
    depth.set(id, 0);
    const d = Math.max(-1, ...(reduced.get(id) ?? []).map(depthOf)) + 1;
    depth.set(id, d);
    return d;
  };
  custom.forEach((r) => depthOf(r.urn));
  const layers: RegisteredResource[][] = [];
  const groups = [...new Set(custom.map((r) => componentGroup(r, byUrn)))];
  for (const r of custom) (layers[depth.get(r.urn)!] ??= []).push(r);
  for (const layer of layers) layer.sort((p, q) => groups.indexOf(componentGroup(p, byUrn)) - groups.indexOf(componentGroup(q, byUrn)) || p.urn.localeCompare(q.urn));

  const colW = Math.max(182, Math.floor(1280 / Math.max(1, layers.length)));
  const boxW = 160;
  const boxH = 22;
  const rowH = 28;
  const top = 40;
  const maxRows = Math.max(1, ...layers.map((l) => l.length));
  const W = Math.max(1300, 20 + layers.length * colW);
  const H = top + maxRows * rowH + 50;
  const pos = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, i) => layer.forEach((r, j) => pos.set(r.urn, { x: 14 + i * colW, y: top + j * rowH })));

  const parts: string[] = [];
  parts.push(`<svg class="resource-graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(`${scenario}: resource graph`)}" font-family="system-ui, sans-serif" font-size="11">`);
  parts.push(ARROW_DEFS);
  layers.forEach((_, i) => parts.push(text(14 + i * colW + boxW / 2, 24, `step ${i + 1}`, `text-anchor="middle" fill="${COLORS.muted}"`)));
  const edges: string[] = [];
  const critEdges: string[] = [];
  for (const r of custom) {
    const to = pos.get(r.urn)!;
    for (const dep of reduced.get(r.urn) ?? []) {
      const from = pos.get(dep);
      if (!from) continue;
      const x1 = from.x + boxW;
      const y1 = from.y + boxH / 2;
      const x2 = to.x - 2;
      const y2 = to.y + boxH / 2;
      const mid = (x1 + x2) / 2;
      const crit = onPath.has(r.urn) && onPath.has(dep) && cp.schedule.get(r.urn)?.decidedBy === dep;
      const d = `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`;
      (crit ? critEdges : edges).push(
        `<path d="${d}" fill="none" stroke="${crit ? COLORS.critical : COLORS.edge}" stroke-width="${crit ? 2.2 : 1}" marker-end="url(#${crit ? "arrow-red" : "arrow-grey"})"/>`,
      );
    }
  }
  parts.push(...edges, ...critEdges);
  for (const r of custom) {
    const p = pos.get(r.urn)!;
    const color = PALETTE[groups.indexOf(componentGroup(r, byUrn)) % PALETTE.length];
    const crit = onPath.has(r.urn);
    const label = `${nameFromUrn(r.urn)}`;
    parts.push(
      `<g class="resource"><rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="4" fill="${color}" fill-opacity="0.14" stroke="${crit ? COLORS.critical : color}" stroke-width="${crit ? 2 : 1}"/>` +
        `<title>${escapeHtml(`${r.urn}\n${r.type}\n${fmtMinutes(minutesOf(r))}`)}</title>` +
        text(p.x + 6, p.y + 15, label.length > 26 ? `${label.slice(0, 25)}…` : label, `fill="${COLORS.ink}"`) +
        `</g>`,
    );
  }
  // Legend: components.
  let lx = 14;
  const ly = H - 18;
  for (const g of groups) {
    const color = PALETTE[groups.indexOf(g) % PALETTE.length];
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}" fill-opacity="0.3" stroke="${color}"/>`);
    parts.push(text(lx + 17, ly, g, `fill="${COLORS.ink}"`));
    lx += 30 + g.length * 7;
  }
  parts.push(text(lx + 10, ly, "red: critical path", `fill="${COLORS.critical}"`));
  parts.push(`</svg>`);
  return parts.join("\n");
}
