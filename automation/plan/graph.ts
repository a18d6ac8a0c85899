/**
 * Scheduling on a resource graph: when each resource can start and finish if every resource is created as
 * soon as everything it waits for exists, as the Pulumi engine does. Pure functions over plain data.
 */
import type { RegisteredResource } from "../mock-engine";

/** One node to schedule: its own duration and the nodes it waits for. */
export interface ScheduleNode {
  id: string;
  type: string;
  minutes: number;
  /** Ids this node starts after; ids not in the node list are ignored. */
  after: string[];
}

export interface ScheduledNode extends ScheduleNode {
  start: number;
  finish: number;
  /** The predecessor that finished last, i.e. the one that decided the start; undefined at a root. */
  decidedBy?: string;
}

export interface CriticalPath {
  /** Finish time of the last node: the estimated wall time of the whole graph. */
  total: number;
  /** Nodes on the longest chain, first to last. */
  path: ScheduledNode[];
  /** Every node with its earliest start and finish. */
  schedule: Map<string, ScheduledNode>;
}

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(" -> ")}`);
    this.name = "CycleError";
  }
}

/** Round to 1/1000 of a minute so that sums of decimal durations compare cleanly. */
const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Earliest start and finish of every node (each starts when the last node it waits for finishes), and the
 * chain that decides the total. Ties between predecessors go to the one listed first. Throws CycleError.
 */
export function criticalPath(nodes: readonly ScheduleNode[]): CriticalPath {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const schedule = new Map<string, ScheduledNode>();
  const state = new Map<string, "visiting" | "done">();

  const visit = (id: string, trail: string[]): ScheduledNode => {
    const done = schedule.get(id);
    if (done) return done;
    if (state.get(id) === "visiting") throw new CycleError([...trail.slice(trail.indexOf(id)), id]);
    state.set(id, "visiting");
    const node = byId.get(id)!;
    let start = 0;
    let decidedBy: string | undefined;
    for (const dep of node.after) {
      if (dep === id || !byId.has(dep)) continue;
      const before = visit(dep, [...trail, id]);
      if (decidedBy === undefined || before.finish > start) {
        start = before.finish;
        decidedBy = dep;
      }
    }
    const scheduled: ScheduledNode = { ...node, start, finish: round(start + node.minutes), decidedBy };
    state.set(id, "done");
    schedule.set(id, scheduled);
    return scheduled;
  };

  // Iterative over roots, recursive within: graphs here have a few hundred nodes and shallow depth.
  for (const node of nodes) visit(node.id, []);

  let last: ScheduledNode | undefined;
  for (const node of nodes) {
    const s = schedule.get(node.id)!;
    if (!last || s.finish > last.finish) last = s;
  }
  const path: ScheduledNode[] = [];
  for (let at = last; at; at = at.decidedBy ? schedule.get(at.decidedBy) : undefined) path.unshift(at);
  return { total: last?.finish ?? 0, path, schedule };
}

/** Sum of all durations: the wall time if nothing ran in parallel. */
export function serialSum(nodes: readonly ScheduleNode[]): number {
  return round(nodes.reduce((sum, n) => sum + n.minutes, 0));
}

/** The longest single node (first listed on ties), or undefined for an empty list. */
/** The longest-running node; among equals, one in `prefer` (the critical path), so that a tie names the one that sets the pace. */
export function slowestNode<T extends ScheduleNode>(nodes: readonly T[], prefer?: ReadonlySet<string>): T | undefined {
  const better = (n: T, best: T) => n.minutes > best.minutes || (n.minutes === best.minutes && prefer?.has(n.id) === true && !prefer.has(best.id));
  return nodes.reduce<T | undefined>((best, n) => (!best || better(n, best) ? n : best), undefined);
}

/** The URN part of a provider reference (`<urn>::<id>`). */
export function providerUrn(reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const at = reference.lastIndexOf("::");
  return at > 0 ? reference.slice(0, at) : reference;
}

/**
 * What each registered resource waits for before Pulumi creates it:
 * - a custom resource waits for its `dependencies` (explicit `dependsOn` plus every resource its inputs
 *   came from), for its explicit provider (so does a remote component such as a Helm chart), and for its
 *   parent when the parent is a custom resource (the SDK
 *   needs the parent's URN, which a custom resource has only once it is registered);
 * - a child does not wait for a parent component: components take no time and are "done" only in the
 *   sense that matters to their dependents, i.e. when all their descendants and their own dependencies are.
 * Components therefore wait for their children, so that `dependsOn: component` waits for what it contains.
 */
export function scheduleNodes(resources: readonly RegisteredResource[], minutesOf: (r: RegisteredResource) => number): ScheduleNode[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) {
    if (r.parent && byUrn.has(r.parent)) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  }
  const ancestors = (r: RegisteredResource): Set<string> => {
    const out = new Set<string>();
    for (let p = r.parent; p && !out.has(p); p = byUrn.get(p)?.parent) out.add(p);
    return out;
  };
  return resources.map((r) => {
    // Waiting for a component one is inside of would be waiting for oneself: the SDK does not, nor do we.
    const mine = ancestors(r);
    const after = new Set<string>(r.dependencies.filter((d) => !mine.has(d)));
    // Custom resources and remote components (Helm charts) are created by their provider.
    const provider = providerUrn(r.provider);
    if (provider && byUrn.has(provider)) after.add(provider);
    if (r.custom) {
      const parent = r.parent ? byUrn.get(r.parent) : undefined;
      if (parent?.custom) after.add(parent.urn);
    } else {
      for (const child of children.get(r.urn) ?? []) after.add(child);
    }
    after.delete(r.urn);
    // minutesOf decides what takes time: 0 for local components, a figure for remote ones (Helm charts).
    return { id: r.urn, type: r.type, minutes: minutesOf(r), after: [...after].filter((u) => byUrn.has(u)) };
  });
}

/**
 * Edges of a DAG without the ones implied by longer paths (transitive reduction), for drawing.
 * `after` lists predecessors; the result maps each id to the predecessors that remain.
 */
export function transitiveReduction(nodes: readonly ScheduleNode[]): Map<string, string[]> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const reach = new Map<string, Set<string>>();
  const ancestors = (id: string): Set<string> => {
    const known = reach.get(id);
    if (known) return known;
    const set = new Set<string>();
    reach.set(id, set);
    for (const dep of byId.get(id)?.after ?? []) {
      if (!byId.has(dep) || dep === id) continue;
      set.add(dep);
      for (const a of ancestors(dep)) set.add(a);
    }
    return set;
  };
  const out = new Map<string, string[]>();
  for (const node of nodes) {
    const direct = node.after.filter((d) => byId.has(d) && d !== node.id);
    out.set(
      node.id,
      direct.filter((d) => !direct.some((other) => other !== d && ancestors(other).has(d))),
    );
  }
  return out;
}
