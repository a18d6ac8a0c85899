/**
 * Whether the AI API can be reached from the internet without going through APIM. Which scenarios must keep
 * it private, and which of those may still use a public load balancer, comes from the traits each scenario file
 * declares (`backendAdmission`, `publicIngress`), so the pack and `scenarios verify` share one definition. Everything else is read from the stack's resources.
 */
import type { PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { findScenario } from "../scenarios/catalog";
import { backendPrivateFromInternet as isBackendPrivate } from "../scenarios/traits";
import { isAnySource } from "./azure";
import { armName, at, chartName, HELM_TYPES, isTrue, k8sName, k8sNamespace, list, type Props, scenarioOf, T } from "./lib";

const MS = "https://learn.microsoft.com";
export const INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal";
export const TRAEFIK_MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares";
export const TRAEFIK_ENTRYPOINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints";
/** Entry points of the Traefik chart that face the load balancer by default. */
const DEFAULT_ENTRYPOINTS = ["web", "websecure"];
const MIDDLEWARE_TYPES = [T.traefikMiddleware, "kubernetes:traefik.containo.us/v1alpha1:Middleware"];
const INGRESS_ROUTE_TYPES = [T.traefikIngressRoute, "kubernetes:traefik.containo.us/v1alpha1:IngressRoute"];

type R = Pick<PolicyResource, "type" | "name" | "urn" | "props" | "propertyDependencies">;

export interface Exposure {
  urn: string;
  what: string;
  /** A public load balancer (Service or chart); NSG rules are not. */
  loadBalancer: boolean;
  /** `externalTrafficPolicy: Local`, which keeps client addresses for the allow-list. */
  keepsClientIp?: boolean;
}

/** Helm chart whose service settings live at `service` (Traefik) or `controller.service` (ingress-nginx). */
function chartService(props: Props): Props | undefined {
  const values = (props.values ?? {}) as Props;
  const name = chartName(props);
  if (name === "traefik") return (values.service ?? {}) as Props;
  if (name === "ingress-nginx") return (at(values, "controller.service") ?? {}) as Props;
  return values.service as Props | undefined;
}

/** Kubernetes Services of type LoadBalancer without the internal annotation, and ingress charts that render one. */
export function publicLoadBalancers(resources: readonly R[]): Exposure[] {
  const out: Exposure[] = [];
  for (const r of resources) {
    if (r.type === T.service) {
      if (at(r.props, "spec.type") !== "LoadBalancer") continue;
      const annotations = (at(r.props, "metadata.annotations") ?? {}) as Props;
      if (isTrue(annotations[INTERNAL_LB_ANNOTATION])) continue;
      out.push({
        urn: r.urn,
        what: `Service "${k8sNamespace(r.props)}/${k8sName(r)}" is a public load balancer (no ${INTERNAL_LB_ANNOTATION}: "true" annotation)`,
        loadBalancer: true,
        keepsClientIp: at(r.props, "spec.externalTrafficPolicy") === "Local",
      });
    } else if (HELM_TYPES.includes(r.type) && typeof r.props.chart === "string") {
      // Under the mock engine the chart's state echoes its inputs; deployed, its rendered Service is listed above.
      const service = chartService(r.props);
      const ingressChart = ["traefik", "ingress-nginx"].includes(chartName(r.props));
      if (!service && !ingressChart) continue;
      // Traefik's chart reads the type from `service.spec.type` only since v40 (`service.type` is ignored there);
      // older charts render `service.type` first and then `service.spec`, whose `type` wins. Either way spec first.
      const type = at(service, "spec.type") ?? service?.type ?? (ingressChart ? "LoadBalancer" : undefined);
      if (type !== "LoadBalancer" || service?.enabled === false) continue;
      if (isTrue(at(service, ["annotations", INTERNAL_LB_ANNOTATION]))) continue;
      out.push({
        urn: r.urn,
        what: `chart ${chartName(r.props)} publishes a public load balancer (values: no ${INTERNAL_LB_ANNOTATION}: "true" service annotation)`,
        loadBalancer: true,
        keepsClientIp: (at(service, "spec.externalTrafficPolicy") ?? service?.externalTrafficPolicy) === "Local",
      });
    }
  }
  return out;
}

/**
 * Names of the subnets APIM is injected into and of the Application Gateway in front of it (config edge, whose WAF
 * the edge-waf-prevention rule checks), and of the NSGs attached to them: gateways the internet is meant to reach.
 */
function apimNetwork(resources: readonly R[]): { subnets: Set<string>; nsgs: Set<string> } {
  const subnets = new Set<string>();
  for (const r of resources.filter((x) => x.type === T.apim)) {
    const name = armName(at(r.props, "virtualNetworkConfiguration.subnetResourceId"));
    if (name) subnets.add(name);
  }
  for (const r of resources.filter((x) => x.type === "azure-native:network:ApplicationGateway")) {
    for (const c of list(r.props.gatewayIPConfigurations)) {
      const name = armName(at(c, "subnet.id"));
      if (name) subnets.add(name);
    }
  }
  const nsgs = new Set<string>();
  const others = new Set<string>();
  for (const s of resources.filter((x) => x.type === T.subnet)) {
    const nsgName = armName(at(s.props, "networkSecurityGroup.id"));
    const byDependency = (s.propertyDependencies?.networkSecurityGroup ?? []).map((d) => nsgNameOf(d));
    for (const n of [nsgName, ...byDependency].filter((x): x is string => !!x)) {
      (subnets.has(String(s.props.name ?? s.props.subnetName)) ? nsgs : others).add(n);
    }
  }
  // An NSG shared with any other subnet guards more than APIM.
  for (const n of others) nsgs.delete(n);
  return { subnets, nsgs };
}

function nsgNameOf(r: { name: string; props: Props }): string {
  return String(r.props.name ?? r.props.networkSecurityGroupName ?? r.name);
}

/** NSG rules that let the internet in, except on the NSGs that guard only APIM's own subnet. */
export function internetOpenNsgRules(resources: readonly R[]): Exposure[] {
  const { nsgs: apimNsgs } = apimNetwork(resources);
  const out: Exposure[] = [];
  for (const r of resources) {
    const nsg = r.type === T.nsg ? nsgNameOf(r) : r.type === T.securityRule ? String(r.props.networkSecurityGroupName ?? "") : undefined;
    if (nsg === undefined || apimNsgs.has(nsg)) continue;
    const rules = r.type === T.nsg ? list<Props>(r.props.securityRules) : [r.props];
    for (const rule of rules) {
      if (String(rule.access ?? "").toLowerCase() !== "allow" || String(rule.direction ?? "").toLowerCase() !== "inbound") continue;
      const source = [rule.sourceAddressPrefix, ...list(rule.sourceAddressPrefixes)].find(isAnySource);
      if (source === undefined) continue;
      const ports = [rule.destinationPortRange, ...list(rule.destinationPortRanges)].filter((p) => p !== undefined).join(", ");
      out.push({
        urn: r.urn,
        what: `NSG "${nsg}" rule "${rule.name ?? r.name}" admits ${JSON.stringify(source)} on port ${ports}`,
        loadBalancer: false,
      });
    }
  }
  return out;
}

export interface AllowList {
  urn: string;
  namespace: string;
  name: string;
  sourceRange: string[];
  ipStrategy?: Props;
}

/** Traefik v3 `ipAllowList` middlewares, as resources or in a chart's `extraObjects`. (v3 removed `ipWhiteList`.) */
export function ipAllowLists(resources: readonly R[]): AllowList[] {
  const out: AllowList[] = [];
  const add = (urn: string, obj: Props, fallbackNs: string, fallbackName: string) => {
    const spec = at(obj, "spec.ipAllowList") as Props | undefined;
    if (!spec) return;
    out.push({
      urn,
      namespace: k8sNamespace(obj, fallbackNs),
      name: String(at(obj, "metadata.name") ?? fallbackName),
      sourceRange: list<string>(spec.sourceRange).map(String),
      ipStrategy: spec.ipStrategy as Props | undefined,
    });
  };
  for (const r of resources) {
    if (MIDDLEWARE_TYPES.includes(r.type)) add(r.urn, r.props, "default", r.name);
    else if (HELM_TYPES.includes(r.type) && typeof r.props.chart === "string") {
      for (const obj of list<Props>(at(r.props, "values.extraObjects"))) {
        if (obj && obj.kind === "Middleware" && /^traefik\.(io|containo\.us)\//.test(String(obj.apiVersion ?? ""))) {
          add(r.urn, obj, String(r.props.namespace ?? "default"), "?");
        }
      }
    }
  }
  return out;
}

/** How an Ingress annotation or entry point names a middleware: `<namespace>-<name>@kubernetescrd`. */
export function middlewareRef(m: { namespace: string; name: string }): string {
  return `${m.namespace}-${m.name}@kubernetescrd`;
}

export interface Route {
  urn: string;
  what: string;
  namespace: string;
  /** Middleware references as `<namespace>-<name>@kubernetescrd`. */
  middlewares: string[];
  entryPoints: string[];
}

/** Ingresses and Traefik IngressRoutes, with the middlewares attached to them. */
export function routes(resources: readonly R[]): Route[] {
  const out: Route[] = [];
  for (const r of resources) {
    const ns = k8sNamespace(r.props);
    if (r.type === T.ingress) {
      const annotations = (at(r.props, "metadata.annotations") ?? {}) as Props;
      const split = (v: unknown) => String(v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      out.push({
        urn: r.urn,
        what: `Ingress "${ns}/${k8sName(r)}"`,
        namespace: ns,
        middlewares: split(annotations[TRAEFIK_MIDDLEWARES_ANNOTATION]),
        entryPoints: split(annotations[TRAEFIK_ENTRYPOINTS_ANNOTATION]),
      });
    } else if (INGRESS_ROUTE_TYPES.includes(r.type)) {
      const perRoute = list<Props>(at(r.props, "spec.routes")).map((route) =>
        list<Props>(route.middlewares).map((m) => middlewareRef({ namespace: String(m.namespace ?? ns), name: String(m.name) })),
      );
      // Every route of the IngressRoute must carry the middleware: keep only those all routes share.
      const shared = perRoute.length ? perRoute.reduce((a, b) => a.filter((x) => b.includes(x))) : [];
      out.push({
        urn: r.urn,
        what: `IngressRoute "${ns}/${k8sName(r)}"`,
        namespace: ns,
        middlewares: shared,
        entryPoints: list<string>(at(r.props, "spec.entryPoints")).map(String),
      });
    }
  }
  return out;
}

/** Middlewares a Traefik chart attaches to each entry point, and entry points that only redirect. */
function entryPointMiddlewares(resources: readonly R[]): { middlewares: Map<string, string[]>; redirects: Set<string> } {
  const middlewares = new Map<string, string[]>();
  const redirects = new Set<string>();
  for (const r of resources) {
    if (!HELM_TYPES.includes(r.type) || chartName(r.props) !== "traefik") continue;
    const ports = (at(r.props, "values.ports") ?? {}) as Props;
    for (const [ep, cfg] of Object.entries(ports)) {
      const refs = [...list<string>(at(cfg, "middlewares")), ...list<string>(at(cfg, "http.middlewares"))].map(String);
      if (refs.length) middlewares.set(ep, [...(middlewares.get(ep) ?? []), ...refs]);
      if (at(cfg, "redirectTo") || at(cfg, "redirections.entryPoint.to") || at(cfg, "http.redirections.entryPoint.to")) redirects.add(ep);
    }
  }
  return { middlewares, redirects };
}

/** Findings for a scenario whose ingress is public but must admit only APIM (consumption). */
export function allowListFindings(resources: readonly R[]): { urn: string; message: string }[] {
  const lbs = publicLoadBalancers(resources);
  const rs = routes(resources);
  if (lbs.length === 0 && rs.length === 0) return [];
  const lists = ipAllowLists(resources);
  const out: { urn: string; message: string }[] = [];
  // Without a route Traefik forwards nothing: a workshop's shared stack has the ingress, each attendee's stack
  // its route and allow-list, each checked in its own graph (scenarios/workshop.ts).
  if (lists.length === 0 && rs.length > 0) {
    out.push({
      urn: (lbs[0] ?? rs[0]).urn,
      message:
        "the public ingress has no Traefik ipAllowList middleware (traefik.io/v1alpha1 Middleware, spec.ipAllowList.sourceRange): anyone on the internet reaches the AI API without APIM.",
    });
  }
  for (const l of lists) {
    const open = l.sourceRange.filter((s) => isAnySource(s) || /^0\.0\.0\.0\/0$|^::\/0$/.test(s.trim()));
    if (l.sourceRange.length === 0) out.push({ urn: l.urn, message: `ipAllowList middleware "${l.namespace}/${l.name}" has an empty sourceRange.` });
    if (open.length) out.push({ urn: l.urn, message: `ipAllowList middleware "${l.namespace}/${l.name}" admits ${open.join(", ")}: list APIM's outbound addresses only.` });
    const depth = Number(at(l.ipStrategy, "depth") ?? 0);
    if (depth > 0 || list(at(l.ipStrategy, "excludedIPs")).length > 0) {
      out.push({
        urn: l.urn,
        message: `ipAllowList middleware "${l.namespace}/${l.name}" takes the client address from X-Forwarded-For (ipStrategy), which a caller sets: match the connection's source address instead.`,
      });
    }
  }
  const allowRefs = new Set(lists.map(middlewareRef));
  const { middlewares: epMiddlewares, redirects } = entryPointMiddlewares(resources);
  const epCovered = (ep: string) => redirects.has(ep) || (epMiddlewares.get(ep) ?? []).some((m) => allowRefs.has(m));
  for (const route of rs) {
    if (route.middlewares.some((m) => allowRefs.has(m))) continue;
    const eps = route.entryPoints.length ? route.entryPoints : DEFAULT_ENTRYPOINTS;
    if (lists.length && eps.every(epCovered)) continue;
    out.push({
      urn: route.urn,
      message: `${route.what} does not use an ipAllowList middleware (annotation ${TRAEFIK_MIDDLEWARES_ANNOTATION}: "<namespace>-<middleware>@kubernetescrd", or the IngressRoute's middlewares on every route).`,
    });
  }
  for (const lb of lbs.filter((x) => !x.keepsClientIp)) {
    out.push({
      urn: lb.urn,
      message: `${lb.what} without externalTrafficPolicy: Local: the allow-list sees node addresses instead of the caller's.`,
    });
  }
  return out;
}

function scenarioTraits(args: StackValidationArgs): { scenario: string; private: boolean; publicIngress: boolean } {
  const scenario = scenarioOf(args);
  if (!scenario) args.notApplicable("the stack names no scenario (stack output or tag `scenario`)");
  // notApplicable throws (policy/run.ts, and @pulumi/policy's own runner).
  const traits = findScenario(scenario!)?.traits;
  if (!traits) args.notApplicable(`unknown scenario ${JSON.stringify(scenario)}: its traits are not registered (scenarios/catalog.ts)`);
  return { scenario: scenario!, private: isBackendPrivate(traits!), publicIngress: traits!.publicIngress };
}

export const backendPrivateFromInternet: StackValidationPolicy = {
  name: "backend-private-from-internet",
  description:
    "In external and internal the AI API has no public load balancer and no NSG rule admits the internet outside APIM's subnet; in consumption its public ingress admits only an IP allow-list.",
  enforcementLevel: "mandatory",
  url: `${MS}/azure/aks/internal-lb`,
  validateStack: (args, report) => {
    const t = scenarioTraits(args);
    if (!t.private) args.notApplicable(`scenario ${t.scenario} leaves the backend public by design (see backend-public-exposure)`);
    if (!t.publicIngress) {
      for (const e of [...publicLoadBalancers(args.resources), ...internetOpenNsgRules(args.resources)]) {
        report(`${e.what}: in the ${t.scenario} scenario the AI API must not be reachable from the internet.`, e.urn);
      }
      return;
    }
    for (const f of allowListFindings(args.resources)) report(`${t.scenario}: ${f.message}`, f.urn);
  },
};

export const backendPublicExposure: StackValidationPolicy = {
  name: "backend-public-exposure",
  description: "Advisory for the public baseline: the AI API answers the internet directly, bypassing APIM's keys, limits and logs.",
  enforcementLevel: "advisory",
  url: `${MS}/azure/api-management/api-management-using-with-vnet`,
  validateStack: (args, report) => {
    const t = scenarioTraits(args);
    if (t.private) args.notApplicable(`scenario ${t.scenario} must keep the backend private (see backend-private-from-internet)`);
    const exposures = [...publicLoadBalancers(args.resources), ...internetOpenNsgRules(args.resources)];
    if (exposures.length === 0) return;
    const guarded = ipAllowLists(args.resources).length > 0 && allowListFindings(args.resources).length === 0;
    if (guarded) return;
    for (const e of exposures) {
      report(`${e.what}: the AI API can be called directly from the internet, without APIM. The external, internal and consumption scenarios close this.`, e.urn);
    }
  },
};

export const exposurePolicies = [backendPrivateFromInternet, backendPublicExposure];
