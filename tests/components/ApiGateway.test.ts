/**
 * The ApiGateway component on its own, in the mock engine: what Azure receives for the service and what it
 * publishes, per tier and option, and the arguments it refuses before creating anything (issue 18 part 3).
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluateProgram, type Evaluation, SECRET } from "../../automation/mock-engine";
import { type ApiGatewayArgs, apiGatewayArgsProblems, ApiGateway } from "../../components/ApiGateway";
import { constructionError, ofType, one } from "../helpers/graph";
import { GATEWAY_POLICY_SETTINGS } from "../helpers/gateway";

const T = {
  gateway: "apim-aks-ai:gateway:ApiGateway",
  apis: "apim-aks-ai:gateway:GatewayApis",
  pool: "apim-aks-ai:gateway:ModelPool",
  service: "azure-native:apimanagement:ApiManagementService",
  pip: "azure-native:network:PublicIPAddress",
  diag: "azure-native:monitor:DiagnosticSetting",
  logger: "azure-native:apimanagement:Logger",
  appInsightsDiag: "azure-native:apimanagement:Diagnostic",
  product: "azure-native:apimanagement:Product",
  api: "azure-native:apimanagement:Api",
  apiPolicy: "azure-native:apimanagement:ApiPolicy",
  link: "azure-native:apimanagement:ProductApiLink",
  namedValue: "azure-native:apimanagement:NamedValue",
  subscription: "azure-native:apimanagement:Subscription",
  backend: "azure-native:apimanagement:Backend",
  password: "random:index/randomPassword:RandomPassword",
} as const;

const TAGS = { scenario: "test", stack: "t", "managed-by": "pulumi" };
const PEM = "-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n";
const ARGS: ApiGatewayArgs = {
  resourceGroupName: "rg-apim",
  location: "swedencentral",
  tags: TAGS,
  serviceName: "apim-test",
  sku: "Developer",
  capacity: 1,
  publisherName: "Test",
  publisherEmail: "test@example.com",
  appInsights: { id: "/subscriptions/s/appi", connectionString: "InstrumentationKey=0", samplingPercentage: 25, logClientIp: false },
  developerPortal: false,
  diagnostics: { workspaceId: "/subscriptions/s/workspaces/log" },
  policies: GATEWAY_POLICY_SETTINGS,
  aiApiBackendUrl: "https://ai.example.com",
  openAiEndpoint: "https://oai-test.openai.azure.com/",
};

/** Aliases each resource was registered with, by name: read from the registration requests themselves. */
type AliasSpecs = Map<string, { name: string; type: string; parentUrn: string; noParent: boolean }[]>;

async function build(args: ApiGatewayArgs, aliases?: AliasSpecs): Promise<Evaluation> {
  return evaluateProgram(() => {
    if (aliases) watchAliases(aliases);
    const g = new ApiGateway("gateway", args);
    return {
      resourceName: g.resourceName,
      resourceId: g.resourceId,
      principalId: g.principalId,
      gatewayUrl: g.gatewayUrl,
      subscriptionKey: g.subscriptionKey,
      omittedPolicies: g.omittedPolicies,
    };
  }, { project: "test", stack: "t" });
}

function watchAliases(into: AliasSpecs): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, cb: unknown) => unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: unknown) => {
    const specs = (req.getAliasesList() as any[]).map((a) => a.getSpec()).filter(Boolean);
    into.set(req.getName(), specs.map((s: any) => ({ name: s.getName(), type: s.getType(), parentUrn: s.getParenturn(), noParent: s.getNoparent() })));
    return register(req, cb);
  };
}

const refused = (args: ApiGatewayArgs) => constructionError(() => new ApiGateway("gateway", args));

describe("components/ApiGateway", () => {
  let e: Evaluation;
  const aliases: AliasSpecs = new Map();
  before(async () => {
    e = await build(ARGS, aliases);
  });

  it("keeps the service, its logs and its logger on the gateway, and what it publishes on a child component", () => {
    const gateway = one(e, T.gateway);
    const apis = one(e, T.apis);
    assert.equal(apis.parent, gateway.urn);
    for (const type of [T.service, T.diag, T.logger, T.appInsightsDiag]) assert.equal(one(e, type).parent, gateway.urn, type);
    for (const type of [T.product, T.api, T.apiPolicy, T.link, T.subscription, T.password]) {
      for (const r of ofType(e, type)) assert.equal(r.parent, apis.urn, `${type} ${r.name}`);
    }
  });

  it("aliases every child of the published part to its former place under the gateway, names unchanged, so a deployed stack keeps its APIs", () => {
    const gateway = one(e, T.gateway);
    const apis = one(e, T.apis);
    const children = e.resources.filter((r) => r.parent === apis.urn);
    assert.ok(children.length >= 12, `${children.length} children`);
    for (const r of children) {
      assert.match(r.name, /^gateway-(?!apis)/, r.name);
      // Same name and type (empty in the spec), the gateway as parent: the URN the resource had before.
      const moved = aliases.get(r.name)!.filter((a) => a.parentUrn !== apis.urn);
      assert.deepEqual(moved, [{ name: "", type: "", parentUrn: gateway.urn, noParent: false }], r.name);
    }
    const service = aliases.get("gateway-service")!;
    assert.ok(service.length > 0, "azure-native's own API-version aliases");
    assert.ok(service.every((a) => a.type.startsWith("azure-native:apimanagement/") && a.parentUrn === gateway.urn), "the service did not move");
  });

  it("sends a Developer service TLS 1.2+ only, a minimum control-plane API version, no legacy portal and no client-certificate flag", () => {
    const service = one(e, T.service).inputs;
    assert.deepEqual(service.sku, { name: "Developer", capacity: 1 });
    assert.deepEqual(service.identity, { type: "SystemAssigned" });
    const custom = service.customProperties as Record<string, string>;
    assert.equal(custom["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"], "False");
    assert.equal(custom["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11"], "False");
    assert.deepEqual(service.apiVersionConstraint, { minApiVersion: "2021-08-01" });
    assert.equal(service.legacyPortalStatus, "Disabled");
    assert.equal(service.developerPortalStatus, "Disabled");
    assert.equal("enableClientCertificate" in service, false);
    assert.equal(service.virtualNetworkType, "None");
    assert.equal(ofType(e, T.pip).length, 0);
  });

  it("logs to Application Insights with the asked sampling and W3C correlation, and all resource logs to Log Analytics", () => {
    const logger = one(e, T.logger);
    assert.equal(logger.inputs.resourceId, ARGS.appInsights!.id);
    const diag = one(e, T.appInsightsDiag).inputs;
    assert.equal(diag.loggerId, logger.id);
    assert.deepEqual(diag.sampling, { samplingType: "fixed", percentage: 25 });
    assert.equal(diag.httpCorrelationProtocol, "W3C");
    assert.equal(diag.metrics, true);
    const settings = one(e, T.diag).inputs;
    assert.equal(settings.resourceUri, one(e, T.service).id);
    assert.deepEqual(settings.logs, [{ categoryGroup: "allLogs", enabled: true }]);
  });

  it("publishes both APIs in the AI product, the OpenAI one with the key header the Azure OpenAI SDKs send", () => {
    const product = one(e, T.product).inputs;
    assert.equal(product.subscriptionRequired, true);
    assert.equal(product.state, "published");
    const ai = one(e, T.api, (r) => r.inputs.apiId === "ai-api").inputs;
    assert.equal(ai.path, "ai");
    assert.equal(ai.serviceUrl, ARGS.aiApiBackendUrl);
    assert.deepEqual(ai.protocols, ["https"]);
    const openAi = one(e, T.api, (r) => r.inputs.apiId === "azure-openai").inputs;
    assert.equal(openAi.serviceUrl, "https://oai-test.openai.azure.com/openai", "no double slash after the endpoint's own");
    assert.deepEqual(openAi.subscriptionKeyParameterNames, { header: "api-key", query: "api-key" });
    assert.deepEqual(ofType(e, T.link).map((l) => l.inputs.apiLinkId).sort(), ["ai", "openai"]);
    assert.equal(ofType(e, T.namedValue).length, 0, "no named value without basic auth");
    assert.equal(ofType(e, T.backend).length, 0, "no pool without secondaries");
  });

  it("gives the product's subscription generated keys, and hands out the primary only as a secret", () => {
    const sub = one(e, T.subscription);
    assert.equal(sub.inputs.scope, "/products/ai");
    assert.equal(sub.inputs.allowTracing, false);
    assert.equal(sub.inputs.primaryKey, SECRET);
    assert.equal(sub.inputs.secondaryKey, SECRET);
    assert.equal(e.outputs.subscriptionKey.secret, true);
    assert.equal(one(e, T.gateway).outputs.subscriptionKey, SECRET);
  });

  it("exposes the service's name, id and identity under the shared output names, all registered", () => {
    const service = one(e, T.service);
    assert.equal(e.outputs.resourceName.value, "apim-test");
    assert.equal(e.outputs.resourceId.value, service.id);
    assert.match(String(e.outputs.principalId.value), /^[0-9a-f-]{36}$/);
    const registered = one(e, T.gateway).outputs;
    assert.equal(registered.resourceId, service.id);
    assert.equal(registered.principalId, e.outputs.principalId.value);
    assert.deepEqual(registered.omittedPolicies, e.outputs.omittedPolicies.value);
  });

  it("on Consumption sends no flags the tier lacks and only metrics to Log Analytics", async () => {
    const c = await build({ ...ARGS, sku: "Consumption", capacity: 0 });
    const service = one(c, T.service).inputs;
    assert.equal(service.apiVersionConstraint, undefined);
    assert.equal(service.customProperties, undefined);
    assert.equal("developerPortalStatus" in service, false);
    assert.equal("legacyPortalStatus" in service, false);
    assert.deepEqual(one(c, T.diag).inputs.logs, []);
  });

  it("injects an Internal-mode service with the public IP it is given (components/Network.ts makes it)", async () => {
    const subnetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-apim";
    const publicIpAddressId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip-apim";
    const v = await build({ ...ARGS, vnet: { mode: "Internal", subnetId, publicIpAddressId } });
    assert.equal(ofType(v, T.pip).length, 0);
    const service = one(v, T.service).inputs;
    assert.equal(service.virtualNetworkType, "Internal");
    assert.deepEqual(service.virtualNetworkConfiguration, { subnetResourceId: subnetId });
    assert.equal(service.publicIpAddressId, publicIpAddressId);
  });

  it("keeps the backend password in a secret named value the AI API's policy waits for", async () => {
    const b = await build({
      ...ARGS,
      policies: { ...ARGS.policies, backendBasicAuth: { username: "apim", passwordNamedValue: "ingress-password" } },
      backendPassword: "not-a-real-password",
    });
    const nv = one(b, T.namedValue);
    assert.equal(nv.inputs.namedValueId, "ingress-password");
    assert.equal(nv.inputs.secret, true);
    assert.equal(nv.inputs.value, SECRET);
    const policy = one(b, T.apiPolicy, (r) => r.inputs.apiId === "ai-api");
    assert.ok(policy.dependencies.includes(nv.urn));
  });

  it("trusts the backend's private CA as a Root certificate in DER form", async () => {
    const c = await build({ ...ARGS, trustedRootCertificates: [PEM] });
    assert.deepEqual(one(c, T.service).inputs.certificates, [{ encodedCertificate: "QUJDREVG", storeName: "Root" }]);
  });

  it("puts a secondary account behind a model pool the OpenAI policy waits for, where the tier has circuit breakers", async () => {
    const p = await build({ ...ARGS, openAiSecondaryEndpoints: ["https://oai-test-2.openai.azure.com/"] });
    const pool = one(p, T.pool);
    assert.equal(pool.parent, one(p, T.apis).urn);
    const backends = ofType(p, T.backend);
    assert.equal(backends.length, 3);
    const policy = one(p, T.apiPolicy, (r) => r.inputs.apiId === "azure-openai");
    for (const b of backends) assert.ok(policy.dependencies.includes(b.urn), b.name);
    const consumption = await build({ ...ARGS, sku: "Consumption", capacity: 0, openAiSecondaryEndpoints: ["https://oai-test-2.openai.azure.com/"] });
    assert.equal(ofType(consumption, T.backend).length, 0);
  });

  describe("refuses bad arguments before the first resource", () => {
    const cases: [string, Partial<ApiGatewayArgs>, RegExp][] = [
      ["basic auth without a password", { policies: { ...ARGS.policies, backendBasicAuth: { username: "apim", passwordNamedValue: "pw" } } }, /backendBasicAuth needs backendPassword/],
      ["a capacity the tier does not take", { sku: "Developer", capacity: 2 }, /capacity 2 is outside 1-1, the range of the Developer tier/],
      ["Consumption with a unit", { sku: "Consumption", capacity: 1 }, /capacity 1 is outside 0-0/],
      ["VNet injection on a tier without it", { sku: "StandardV2", vnet: { mode: "External", subnetId: "/s", publicIpAddressId: "/p" } }, /vnet \(External mode\) needs one of Developer, Premium, not StandardV2/],
      ["a sampling share above 100", { appInsights: { ...ARGS.appInsights!, samplingPercentage: 150 } }, /samplingPercentage 150 is outside 0-100/],
    ];
    for (const [what, change, message] of cases) {
      it(what, async () => {
        const { error, e: graph } = await refused({ ...ARGS, ...change });
        assert.ok(error instanceof pulumi.ResourceError, String(error));
        assert.match((error as Error).message, message);
        assert.match((error as Error).message, /^ApiGateway "gateway": /);
        assert.deepEqual(graph.resources.filter((r) => r.custom), [], "nothing created");
      });
    }

    it("names every problem at once, and none for the arguments the scenarios pass", () => {
      assert.deepEqual(apiGatewayArgsProblems(ARGS), []);
      assert.equal(apiGatewayArgsProblems({ ...ARGS, capacity: 3, appInsights: { ...ARGS.appInsights!, samplingPercentage: -1 } }).length, 2);
    });
  });
});
