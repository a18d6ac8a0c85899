import assert from "node:assert/strict";
import { analyzeScenario, findElements, ingressAllowList, parsePolicy } from "../../../automation/plan/analysis";
import { resource } from "./helpers";

const PRODUCT_XML = `<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization"><issuers><issuer>https://login.example/tenant/v2.0</issuer></issuers></validate-jwt>
    <cors allow-credentials="false"><allowed-origins><origin>https://app.example</origin><origin>http://localhost:5173</origin></allowed-origins></cors>
    <rate-limit calls="30" renewal-period="60" />
    <quota calls="1000" renewal-period="3600" />
  </inbound>
  <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>
</policies>`;
const AI_XML = `<policies><inbound><base /><set-header name="X-Apim-Secret" exists-action="override"><value>{{ingress-secret}}</value></set-header></inbound></policies>`;
const OPENAI_XML = `<policies><inbound><base /><authentication-managed-identity resource="https://cognitiveservices.azure.com" /><llm-token-limit tokens-per-minute="900" counter-key="k" /></inbound></policies>`;

/** A gateway with both APIs and their policies, in the given VNet mode. */
function gatewayGraph(vnetMode: "None" | "External" | "Internal", extra: ReturnType<typeof resource>[] = []) {
  const apim = resource("azure-native:apimanagement:ApiManagementService", "apim", {
    inputs: { sku: { name: "Developer", capacity: 1 }, virtualNetworkType: vnetMode, customProperties: { "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11": "False" } },
  });
  const product = resource("azure-native:apimanagement:Product", "product", { inputs: { subscriptionRequired: true } });
  const aiApi = resource("azure-native:apimanagement:Api", "ai-api", { inputs: { apiId: "ai-api", path: "ai", protocols: ["https"], serviceUrl: "https://ai.backend.example", subscriptionRequired: true } });
  const openAiApi = resource("azure-native:apimanagement:Api", "openai-api", { inputs: { apiId: "azure-openai", path: "openai", protocols: ["https"] } });
  return [
    apim,
    product,
    aiApi,
    openAiApi,
    resource("azure-native:apimanagement:ProductPolicy", "product-policy", { inputs: { value: PRODUCT_XML } }),
    resource("azure-native:apimanagement:ApiPolicy", "ai-policy", { inputs: { apiId: "ai-api", value: AI_XML }, propertyDependencies: { apiId: [aiApi.urn] } }),
    resource("azure-native:apimanagement:ApiPolicy", "openai-policy", { inputs: { apiId: "azure-openai", value: OPENAI_XML }, propertyDependencies: { apiId: [openAiApi.urn] } }),
    resource("azure-native:apimanagement:NamedValue", "secret", { inputs: { secret: true } }),
    resource("azure-native:cognitiveservices:Account", "openai", { inputs: { properties: { disableLocalAuth: true, publicNetworkAccess: "Enabled" } } }),
    resource("azure-native:authorization:RoleAssignment", "grant", {
      inputs: { roleDefinitionId: "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/5e0bd9bd-7b93-4f28-af87-19fc36ad61bd" },
    }),
    resource("azure-native:containerservice:ManagedCluster", "aks", {
      inputs: { aadProfile: { managed: true }, disableLocalAccounts: true, networkProfile: { networkPolicy: "cilium" }, securityProfile: { workloadIdentity: { enabled: true } } },
    }),
    ...extra,
  ];
}

const protection = (a: ReturnType<typeof analyzeScenario>, hop: string, name: string) => a.hops.find((h) => h.id === hop)!.protections.find((p) => p.name === name)!;

describe("automation/plan/analysis", () => {
  it("parses policy XML into elements with attributes and text", () => {
    const root = parsePolicy(PRODUCT_XML);
    assert.deepEqual(findElements(root, "origin").map((o) => o.text), ["https://app.example", "http://localhost:5173"]);
    assert.equal(findElements(root, "rate-limit")[0].attrs.calls, "30");
    assert.deepEqual(parsePolicy("<not closed").children, []);
  });

  it("reads the client → APIM protections from the policies: key, JWT, rate limit, quota, token limit, CORS, TLS", () => {
    const a = analyzeScenario("public", gatewayGraph("None"));
    const hop = a.hops.find((h) => h.id === "client-apim")!;
    assert.deepEqual(
      hop.protections.map((p) => [p.name, p.present, p.summary]),
      [
        ["internet entry", null, "APIM directly"],
        ["subscription key", true, "required"],
        ["JWT validation", true, "validate-jwt"],
        ["rate limit", true, "30/1min"],
        ["quota", true, "1000/1h"],
        ["token limit", true, "900 tok/min"],
        ["CORS", true, "2 origins"],
        ["TLS", true, "HTTPS, TLS 1.2+"],
        ["caller filter", null, "any address"],
        ["client certificate", null, "not required"],
      ],
    );
  });

  it("says which endpoints face the internet from APIM's VNet mode, the cluster and the account", () => {
    const none = analyzeScenario("public", gatewayGraph("None"));
    assert.equal(none.endpoints.apim.reach, "internet");
    assert.equal(analyzeScenario("external", gatewayGraph("External")).endpoints.apim.reach, "internet");
    assert.equal(analyzeScenario("internal", gatewayGraph("Internal")).endpoints.apim.reach, "vnet");
    assert.equal(none.endpoints.aksApi.summary, "internet, Entra ID");
    assert.equal(none.endpoints.openAi.detail, "public endpoint; Entra ID only, no keys");
    assert.equal(protection(none, "api-model", "local auth disabled").present, true);
    assert.equal(protection(none, "api-model", "APIM identity").present, true);
    assert.equal(protection(none, "api-model", "OpenAI User role").summary, "1 grant");
  });

  it("falls back to the scenario's traits for the ingress only while the graph has no load balancer service", () => {
    const a = analyzeScenario("external", gatewayGraph("External"));
    assert.equal(a.endpoints.ingress.from, "traits");
    assert.equal(a.endpoints.ingress.reach, "vnet");
    assert.equal(protection(a, "apim-ingress", "private network").present, true);
    assert.equal(protection(a, "ingress-api", "NetworkPolicy").present, null);
  });

  it("reads the ingress from a Traefik chart: internal load balancer, or public with an allow-list", () => {
    const internal = resource("kubernetes:helm.sh/v4:Chart", "traefik", {
      inputs: { chart: "traefik", values: { service: { annotations: { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" } } } },
    });
    const a = analyzeScenario("external", gatewayGraph("External", [internal]));
    assert.equal(a.endpoints.ingress.from, "graph");
    assert.equal(a.endpoints.ingress.reach, "vnet");

    const chart = resource("kubernetes:helm.sh/v4:Chart", "traefik", { inputs: { chart: "traefik", values: { service: { spec: { externalTrafficPolicy: "Local" } } } } });
    const middleware = resource("kubernetes:traefik.io/v1alpha1:Middleware", "allow", { inputs: { spec: { ipAllowList: { sourceRange: ["198.51.100.7/32"] } } } });
    const policy = resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "ai-api", { inputs: { metadata: { name: "ai-api-ingress" } } });
    const c = analyzeScenario("consumption", gatewayGraph("None", [chart, middleware, policy]));
    assert.deepEqual(ingressAllowList([middleware]), ["198.51.100.7/32"]);
    assert.equal(c.endpoints.ingress.reach, "internet-restricted");
    assert.equal(protection(c, "apim-ingress", "allow-list").present, true);
    assert.equal(protection(c, "apim-ingress", "instance secret").summary, "X-Apim-Secret");
    assert.equal(protection(c, "apim-ingress", "client address kept").present, true);
    assert.equal(protection(c, "ingress-api", "NetworkPolicy").detail, "NetworkPolicies: ai-api-ingress");
  });

  it("lists as gaps what is missing, and the public ingress as a bypass", () => {
    const open = resource("kubernetes:core/v1:Service", "traefik", { inputs: { spec: { type: "LoadBalancer" } } });
    const a = analyzeScenario("public", gatewayGraph("None", [open]));
    assert.equal(a.endpoints.ingress.reach, "internet");
    assert.match(a.gaps[0], /answers anyone on the internet/);
    assert.ok(a.gaps.some((g) => /no IP allow-list/.test(g)));
    assert.ok(a.gaps.some((g) => /no NetworkPolicy/.test(g)));
  });

  it("counts custom resources and components separately", () => {
    const a = analyzeScenario("public", [...gatewayGraph("None"), resource("test:component:Box", "box")]);
    assert.equal(a.components, 1);
    assert.equal(a.customResources, 11);
    assert.equal(a.byPackage["azure-native"], 11);
  });
});
