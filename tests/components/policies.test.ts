import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { APIM_SKUS, type ApimSku } from "../../config/schema";
import {
  ALL_TIERS,
  authenticationBasic,
  authenticationManagedIdentity,
  BACKEND_REVEALING_RESPONSE_HEADERS,
  checkHeader,
  composePolicy,
  cors,
  emitTokenMetric,
  forwardRequest,
  retryForward,
  ipFilter,
  forwardedCallerFilter,
  MAX_METRIC_DIMENSIONS,
  POLICY_NAMES,
  POLICY_SECTIONS,
  POLICY_SUPPORT,
  PolicyOptionError,
  PolicyPlacementError,
  PolicyTierError,
  quota,
  quotaByKey,
  rateLimit,
  rateLimitByKey,
  removeResponseHeaders,
  setBackendService,
  setHeader,
  supportsPolicy,
  tokenLimit,
  validateClientCertificate,
  validateJwt,
  type PolicyFragment,
  type PolicyName,
  type PolicySections,
} from "../../components/policies";

// ---------------------------------------------------------------------------------------------------------
// Parsing helpers: every composed document goes through fast-xml-parser.

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  htmlEntities: true,
});

function toNodes(items: Record<string, unknown>[]): Node[] {
  return items
    .filter((item) => !("#text" in item))
    .map((item) => {
      const name = Object.keys(item).find((k) => k !== ":@")!;
      const content = item[name] as Record<string, unknown>[];
      return {
        name,
        attrs: (item[":@"] as Record<string, string> | undefined) ?? {},
        children: toNodes(content),
        text: content
          .filter((c) => "#text" in c)
          .map((c) => String(c["#text"]))
          .join("")
          .trim(),
      };
    });
}

function parse(doc: string): Node {
  assert.equal(XMLValidator.validate(doc), true, doc);
  const roots = toNodes(parser.parse(doc) as Record<string, unknown>[]);
  assert.equal(roots.length, 1);
  assert.equal(roots[0].name, "policies");
  return roots[0];
}

function section(doc: Node, name: string): Node {
  const found = doc.children.filter((c) => c.name === name);
  assert.equal(found.length, 1, `exactly one <${name}>`);
  return found[0];
}

/** Every element below `node`, depth first. */
function all(node: Node): Node[] {
  return node.children.flatMap((c) => [c, ...all(c)]);
}

function names(node: Node): string[] {
  return node.children.map((c) => c.name);
}

function throwsWith<E extends Error>(fn: () => unknown, type: new (...args: never[]) => E, pattern: RegExp): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.match((caught as Error).message, pattern);
  return caught as E;
}

// ---------------------------------------------------------------------------------------------------------
// One representative fragment per policy in the support table.

const SUB = "@(context.Subscription.Id)";
const SAMPLES: Record<PolicyName, () => PolicyFragment> = {
  "rate-limit": () => rateLimit({ calls: 20, renewalPeriodSeconds: 60 }),
  "rate-limit-by-key": () => rateLimitByKey({ calls: 20, renewalPeriodSeconds: 60, counterKey: SUB }),
  quota: () => quota({ calls: 1000, renewalPeriodSeconds: 3600 }),
  "quota-by-key": () => quotaByKey({ calls: 1000, renewalPeriodSeconds: 3600, counterKey: SUB }),
  "azure-openai-token-limit": () => tokenLimit({ tokensPerMinute: 5000, counterKey: SUB, flavor: "azure-openai" }),
  "llm-token-limit": () => tokenLimit({ tokensPerMinute: 5000, counterKey: SUB, flavor: "llm" }),
  "azure-openai-emit-token-metric": () => emitTokenMetric({ namespace: "ai", dimensions: [{ name: "API ID" }], flavor: "azure-openai" }),
  "llm-emit-token-metric": () => emitTokenMetric({ namespace: "ai", dimensions: [{ name: "Backend ID" }], flavor: "llm" }),
  "validate-jwt": () =>
    validateJwt({
      openIdConfigUrl: "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
      issuer: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
      audiences: ["api://ai"],
    }),
  cors: () => cors({ allowedOrigins: ["https://app.contoso.example"], allowedMethods: ["GET", "POST"], allowedHeaders: ["Content-Type"] }),
  "authentication-managed-identity": () => authenticationManagedIdentity({ resource: "https://cognitiveservices.azure.com" }),
  "authentication-basic": () => authenticationBasic({ username: "apim", password: "{{ingress-password}}" }),
  "set-backend-service": () => setBackendService({ backendId: "ai-backend" }),
  "set-header": () => setHeader({ name: "x-request-id", value: "@(context.RequestId.ToString())", existsAction: "skip" }),
  "check-header": () => checkHeader({ name: "x-client", failedStatusCode: 400, failedMessage: "x-client is required", ignoreCase: true }),
  "ip-filter": () => ipFilter({ action: "allow", addresses: ["192.0.2.10"], ranges: [{ from: "198.51.100.0", to: "198.51.100.255" }] }),
  choose: () => forwardedCallerFilter({ proxyRanges: ["10.42.8.0/24"], allowedRanges: ["198.51.100.0/24"] }),
  "validate-client-certificate": () => validateClientCertificate({ validateRevocation: false, identities: [{ issuerThumbprint: "0123456789ABCDEF0123456789ABCDEF01234567" }] }),
  "forward-request": () => forwardRequest({ timeoutSeconds: 120 }),
  retry: () => retryForward({ condition: "@(context.Response.StatusCode == 429)", count: 1, intervalSeconds: 1 }),
};

function sectionsFor(f: PolicyFragment): PolicySections {
  const key = f.section === "on-error" ? "onError" : f.section;
  return { [key]: [f] };
}

const CLASSIC: ApimSku[] = ["Developer", "Basic", "Standard", "Premium"];
const V2: ApimSku[] = ["BasicV2", "StandardV2"];

describe("policies: validate-client-certificate", () => {
  it("writes the rules and each identity's claims in the reference page's order, and never ignores a failure", () => {
    const xml = validateClientCertificate({
      validateRevocation: false,
      validateTrust: true,
      identities: [{ issuerThumbprint: "AB12", commonName: "client" }, { thumbprint: "CD34" }],
    }).xml;
    assert.equal(
      xml,
      [
        `<validate-client-certificate validate-revocation="false" validate-trust="true" ignore-error="false">`,
        `    <identities>`,
        `        <identity common-name="client" issuer-thumbprint="AB12" />`,
        `        <identity thumbprint="CD34" />`,
        `    </identities>`,
        `</validate-client-certificate>`,
      ].join("\n"),
    );
    assert.equal(validateClientCertificate({}).xml, `<validate-client-certificate ignore-error="false" />`);
  });
});

describe("policies: support table", () => {
  it("covers every APIM tier and nothing else", () => {
    assert.deepEqual([...ALL_TIERS].sort(), [...APIM_SKUS].sort());
    for (const name of POLICY_NAMES) {
      for (const tier of POLICY_SUPPORT[name].tiers) assert.ok((APIM_SKUS as readonly string[]).includes(tier), `${name}: ${tier}`);
    }
  });

  it("cites each policy's own reference page", () => {
    for (const name of POLICY_NAMES) {
      assert.equal(POLICY_SUPPORT[name].source, `https://learn.microsoft.com/azure/api-management/${name}-policy`);
    }
  });

  it("records the documented tier gaps", () => {
    const lacks = (policy: PolicyName) => ALL_TIERS.filter((t) => !supportsPolicy(t, policy));
    assert.deepEqual(lacks("rate-limit-by-key"), ["Consumption"]);
    assert.deepEqual(lacks("quota-by-key"), [...V2, "Consumption"]);
    assert.deepEqual(lacks("azure-openai-token-limit"), ["Consumption"]);
    assert.deepEqual(lacks("llm-token-limit"), ["Consumption"]);
    for (const everywhere of [
      "rate-limit",
      "quota",
      "azure-openai-emit-token-metric",
      "llm-emit-token-metric",
      "validate-jwt",
      "cors",
      "authentication-managed-identity",
      "set-backend-service",
      "set-header",
      "check-header",
      "ip-filter",
      "choose",
      "validate-client-certificate",
      "forward-request",
    ] as const) {
      assert.deepEqual(lacks(everywhere), [], everywhere);
    }
  });

  it("has a sample fragment for every policy it lists", () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), [...POLICY_NAMES].sort());
    for (const name of POLICY_NAMES) assert.equal(SAMPLES[name]().policy, name);
  });
});

describe("policies: tier refusal", () => {
  for (const name of POLICY_NAMES) {
    for (const tier of APIM_SKUS) {
      const supported = supportsPolicy(tier, name);
      it(`${supported ? "emits" : "refuses"} ${name} on ${tier}`, () => {
        const f = SAMPLES[name]();
        if (supported) {
          const doc = parse(composePolicy(tier, sectionsFor(f)));
          assert.ok(all(section(doc, f.section)).some((n) => n.name === name));
        } else {
          const e = throwsWith(() => composePolicy(tier, sectionsFor(f)), PolicyTierError, new RegExp(`^policy "${name}" is not available in the ${tier} tier \\(supported: `));
          assert.equal(e.policy, name);
          assert.equal(e.tier, tier);
          assert.deepEqual(e.supportedTiers, POLICY_SUPPORT[name].tiers);
          assert.equal(e.source, POLICY_SUPPORT[name].source);
        }
      });
    }
  }

  it("names the supported tiers in the message", () => {
    throwsWith(
      () => composePolicy("Consumption", { inbound: [SAMPLES["rate-limit-by-key"]()] }),
      PolicyTierError,
      /^policy "rate-limit-by-key" is not available in the Consumption tier \(supported: Developer, Basic, Standard, Premium, BasicV2, StandardV2\)$/,
    );
    throwsWith(() => composePolicy("StandardV2", { inbound: [SAMPLES["quota-by-key"]()] }), PolicyTierError, /\(supported: Developer, Basic, Standard, Premium\)$/);
  });

  it("checks every section, not just inbound", () => {
    const ok = setHeader({ name: "x-a", value: "1", section: "outbound" });
    throwsWith(() => composePolicy("Consumption", { outbound: [ok], inbound: [SAMPLES["llm-token-limit"]()] }), PolicyTierError, /llm-token-limit/);
  });
});

describe("policies: document shape", () => {
  it("puts <base /> first in every section by default", () => {
    const doc = parse(composePolicy("Developer", { inbound: [SAMPLES.cors(), SAMPLES["rate-limit"]()], outbound: [removeResponseHeaders()] }));
    assert.deepEqual(names(doc), [...POLICY_SECTIONS]);
    for (const s of POLICY_SECTIONS) assert.equal(section(doc, s).children[0]?.name, "base", s);
    assert.deepEqual(names(section(doc, "inbound")), ["base", "cors", "rate-limit"]);
  });

  it("keeps fragment order and indents with four spaces", () => {
    const xml = composePolicy("Developer", { inbound: [SAMPLES["rate-limit"](), SAMPLES["set-header"]()] });
    assert.match(xml, /^<policies>\n {4}<inbound>\n {8}<base \/>\n {8}<rate-limit /);
    assert.match(xml, /\n {4}<\/on-error>\n<\/policies>$/);
  });

  it("without base, omits <base /> and still forwards the request", () => {
    const doc = parse(composePolicy("Developer", { inbound: [SAMPLES["set-header"]()] }, { base: false }));
    assert.ok(!all(doc).some((n) => n.name === "base"));
    assert.deepEqual(names(section(doc, "backend")), ["forward-request"]);
    assert.equal(section(doc, "outbound").children.length, 0);
  });

  it("does not add a second forward-request", () => {
    const doc = parse(composePolicy("Developer", { backend: [setBackendService({ backendId: "b", section: "backend" }), SAMPLES["forward-request"]()] }, { base: false }));
    assert.deepEqual(names(section(doc, "backend")), ["set-backend-service", "forward-request"]);
    assert.equal(section(doc, "backend").children[1].attrs.timeout, "120");
  });

  it("at global scope defaults to no <base />", () => {
    const doc = parse(composePolicy("Developer", {}, { scope: "global" }));
    assert.ok(!all(doc).some((n) => n.name === "base"));
    assert.deepEqual(names(section(doc, "backend")), ["forward-request"]);
  });

  it("refuses unknown section keys and fragments that are not well-formed", () => {
    throwsWith(() => composePolicy("Developer", { "on-error": [] } as unknown as PolicySections), Error, /unknown section on-error/);
    const broken: PolicyFragment = { policy: "set-header", section: "inbound", xml: "<set-header name=\"a\">" };
    throwsWith(() => composePolicy("Developer", { inbound: [broken] }), Error, /well-formed/);
    const unknown = { policy: "send-request", section: "inbound", xml: "<send-request />" } as unknown as PolicyFragment;
    throwsWith(() => composePolicy("Developer", { inbound: [unknown] }), Error, /unknown policy "send-request"/);
  });
});

describe("policies: escaping", () => {
  const nasty = `a & b < c > d "e" 'f'`;

  it("round-trips &, <, > and quotes in attribute values", () => {
    const f = checkHeader({ name: "x-k", failedStatusCode: 403, failedMessage: nasty, ignoreCase: false, values: [nasty] });
    assert.match(f.xml, /failed-check-error-message="a &amp; b &lt; c &gt; d &quot;e&quot; 'f'"/);
    const node = section(parse(composePolicy("Developer", { inbound: [f] })), "inbound").children[1];
    assert.equal(node.attrs["failed-check-error-message"], nasty);
    assert.equal(node.children[0].text, nasty);
  });

  it("round-trips policy expressions with quotes and line breaks", () => {
    const expr = `@{\n    var id = context.Request.Headers.GetValueOrDefault("x-tenant", "none");\n    return id + "&" + context.Subscription.Id;\n}`;
    const doc = parse(
      composePolicy("Developer", {
        inbound: [rateLimitByKey({ calls: 5, renewalPeriodSeconds: 10, counterKey: expr }), setHeader({ name: "x-tenant", value: expr })],
      }),
    );
    const inbound = section(doc, "inbound");
    assert.equal(inbound.children[1].attrs["counter-key"], expr);
    assert.equal(inbound.children[2].children[0].text.trim(), expr.trim());
  });

  it("round-trips JWT audiences, issuers and the failure message", () => {
    const f = validateJwt({
      openIdConfigUrl: "https://login.example/tenant/v2.0/.well-known/openid-configuration?p=a&q=b",
      issuer: ["https://issuer.example/<1>", "https://issuer.example/&2"],
      audiences: ['api://"quoted"'],
      failedStatusCode: 403,
      failedMessage: nasty,
    });
    const jwt = section(parse(composePolicy("Developer", { inbound: [f] })), "inbound").children[1];
    assert.deepEqual(jwt.attrs, {
      "header-name": "Authorization",
      "failed-validation-httpcode": "403",
      "failed-validation-error-message": nasty,
      "require-scheme": "Bearer",
    });
    assert.deepEqual(names(jwt), ["openid-config", "audiences", "issuers"]);
    assert.equal(jwt.children[0].attrs.url, "https://login.example/tenant/v2.0/.well-known/openid-configuration?p=a&q=b");
    assert.deepEqual(jwt.children[1].children.map((c) => c.text), ['api://"quoted"']);
    assert.deepEqual(jwt.children[2].children.map((c) => c.text), ["https://issuer.example/<1>", "https://issuer.example/&2"]);
  });

  it("refuses characters XML cannot carry", () => {
    throwsWith(() => setHeader({ name: "x-a", value: "bell\u0007" }), PolicyOptionError, /XML 1\.0/);
  });
});

describe("policies: placement", () => {
  it("refuses a policy in a section its reference page does not allow", () => {
    const cases: [PolicySections, RegExp][] = [
      [{ outbound: [SAMPLES.cors()] }, /"cors" cannot be placed in the outbound section \(allowed: inbound\)/],
      [{ backend: [SAMPLES["azure-openai-token-limit"]()] }, /"azure-openai-token-limit" cannot be placed in the backend section/],
      [{ onError: [SAMPLES["validate-jwt"]()] }, /"validate-jwt" cannot be placed in the on-error section/],
      [{ outbound: [setBackendService({ baseUrl: "https://ai.example" })] }, /"set-backend-service" cannot be placed in the outbound section \(allowed: inbound, backend\)/],
      [{ inbound: [SAMPLES["forward-request"]()] }, /"forward-request" cannot be placed in the inbound section/],
    ];
    for (const [sections, pattern] of cases) {
      const e = throwsWith(() => composePolicy("Premium", sections), PolicyPlacementError, pattern);
      assert.match(e.message, /see https:\/\/learn\.microsoft\.com\//);
    }
  });

  it("refuses a fragment placed in another section than it was built for", () => {
    throwsWith(() => composePolicy("Developer", { inbound: [removeResponseHeaders()] }), PolicyPlacementError, /built for the outbound section but placed in inbound/);
  });

  it("accepts set-header in all four sections", () => {
    const doc = parse(
      composePolicy("Consumption", {
        inbound: [setHeader({ name: "x-a", value: "1" })],
        backend: [setHeader({ name: "x-b", value: "2", section: "backend" })],
        outbound: [setHeader({ name: "x-c", value: "3", section: "outbound" })],
        onError: [setHeader({ name: "x-d", value: "4", section: "on-error" })],
      }),
    );
    for (const s of POLICY_SECTIONS) assert.equal(section(doc, s).children[1].name, "set-header", s);
  });

  it("checks scopes when given", () => {
    throwsWith(() => composePolicy("Developer", { inbound: [SAMPLES.quota()] }, { scope: "api" }), PolicyPlacementError, /"quota" cannot be used at api scope \(allowed: product\)/);
    throwsWith(() => composePolicy("Developer", { inbound: [SAMPLES["rate-limit"]()] }, { scope: "global" }), PolicyPlacementError, /at global scope/);
    parse(composePolicy("Developer", { inbound: [SAMPLES["rate-limit"](), SAMPLES.quota()] }, { scope: "product" }));
  });

  it("keeps cors first in inbound", () => {
    throwsWith(() => composePolicy("Developer", { inbound: [SAMPLES["validate-jwt"](), SAMPLES.cors()] }), PolicyPlacementError, /"cors" must be the first policy in the inbound section/);
  });

  it("refuses repeating a policy its reference page allows once", () => {
    throwsWith(() => composePolicy("Developer", { inbound: [SAMPLES["rate-limit"](), SAMPLES["rate-limit"]()] }), PolicyPlacementError, /only once per policy document/);
    throwsWith(() => composePolicy("Developer", { inbound: [SAMPLES.quota(), SAMPLES.quota()] }), PolicyPlacementError, /only once per policy document/);
    // Token limits may repeat (one per minute, one per key, ...).
    parse(composePolicy("Developer", { inbound: [SAMPLES["llm-token-limit"](), SAMPLES["llm-token-limit"]()] }));
  });
});

describe("policies: option ranges", () => {
  const refused: [string, () => unknown, RegExp][] = [
    ["rate-limit period 0", () => rateLimit({ calls: 1, renewalPeriodSeconds: 0 }), /renewalPeriodSeconds must be an integer between 1 and 300, got 0/],
    ["rate-limit period 301", () => rateLimit({ calls: 1, renewalPeriodSeconds: 301 }), /between 1 and 300, got 301/],
    ["rate-limit fractional period", () => rateLimit({ calls: 1, renewalPeriodSeconds: 1.5 }), /got 1\.5/],
    ["rate-limit calls 0", () => rateLimit({ calls: 0, renewalPeriodSeconds: 60 }), /calls must be an integer at least 1/],
    ["rate-limit-by-key period 600", () => rateLimitByKey({ calls: 1, renewalPeriodSeconds: 600, counterKey: SUB }), /between 1 and 300/],
    ["rate-limit-by-key empty key", () => rateLimitByKey({ calls: 1, renewalPeriodSeconds: 60, counterKey: " " }), /counterKey must be a non-empty string/],
    ["quota-by-key period 299", () => quotaByKey({ calls: 1, renewalPeriodSeconds: 299, counterKey: SUB }), /must be 0 \(never renews\) or at least 300, got 299/],
    ["quota without calls or bandwidth", () => quota({ renewalPeriodSeconds: 3600 }), /calls or bandwidthKilobytes must be given/],
    ["quota negative period", () => quota({ calls: 1, renewalPeriodSeconds: -1 }), /at least 0/],
    ["token limit 0", () => tokenLimit({ tokensPerMinute: 0, counterKey: SUB, flavor: "llm" }), /tokensPerMinute must be an integer at least 1/],
    ["jwt status 200", () => validateJwt({ ...jwtBase(), failedStatusCode: 200 }), /failedStatusCode must be an integer between 400 and 599/],
    ["jwt http config", () => validateJwt({ ...jwtBase(), openIdConfigUrl: "http://login.example/.well-known/openid-configuration" }), /must use https:/],
    ["jwt no audience", () => validateJwt({ ...jwtBase(), audiences: [] }), /audiences must list at least one value/],
    ["forward-request timeout 241", () => forwardRequest({ timeoutSeconds: 241 }), /between 0 and 240/],
    ["managed identity client id", () => authenticationManagedIdentity({ resource: "https://cognitiveservices.azure.com", clientId: "not-a-guid" }), /clientId must be a GUID/],
    ["ip-filter bad address", () => ipFilter({ action: "allow", addresses: ["10.0.0.300"] }), /is not an IP address/],
    ["ip-filter nothing", () => ipFilter({ action: "forbid" }), /at least one address/],
    ["ip-filter mixed range", () => ipFilter({ action: "allow", ranges: [{ from: "10.0.0.1", to: "::1" }] }), /mixes IPv4 and IPv6/],
    ["client certificate identity without claims", () => validateClientCertificate({ identities: [{}] }), /identities\[0\] must name at least one claim/],
    [
      "client certificate issuer id with another issuer claim",
      () => validateClientCertificate({ identities: [{ issuerCertificateId: "client-ca", issuerSubject: "CN=ca" }] }),
      /issuerCertificateId excludes issuerSubject and issuerThumbprint/,
    ],
    ["client certificate unknown claim", () => validateClientCertificate({ identities: [{ issuer: "CN=ca" } as never] }), /identities\[0\]\.issuer is not an identity attribute/],
    ["client certificate expression", () => validateClientCertificate({ identities: [{ subject: "@(context.Request.Certificate.Subject)" }] }), /does not take a policy expression/],
    ["client certificate 11 identities", () => validateClientCertificate({ identities: Array.from({ length: 11 }, (_, i) => ({ commonName: `c${i}` })) }), /at most 10 identities, got 11/],
  ];
  for (const [label, fn, pattern] of refused) {
    it(`refuses ${label}`, () => {
      throwsWith(fn, PolicyOptionError, pattern);
    });
  }

  it("accepts the documented edges", () => {
    assert.match(rateLimit({ calls: 1, renewalPeriodSeconds: 300 }).xml, /renewal-period="300"/);
    assert.match(quotaByKey({ calls: 1, renewalPeriodSeconds: 0, counterKey: SUB }).xml, /renewal-period="0"/);
    assert.match(quotaByKey({ bandwidthKilobytes: 40000, renewalPeriodSeconds: 300, counterKey: SUB }).xml, /bandwidth="40000" renewal-period="300"/);
    assert.match(quota({ calls: 1, renewalPeriodSeconds: 0 }).xml, /renewal-period="0"/);
  });

  it("emits token metrics with at most the documented number of dimensions", () => {
    const dims = ["API ID", "Operation ID", "Product ID", "User ID", "Subscription ID", "Location"].map((name) => ({ name }));
    assert.equal(MAX_METRIC_DIMENSIONS, 5);
    throwsWith(() => emitTokenMetric({ dimensions: dims, flavor: "azure-openai" }), PolicyOptionError, /takes at most 5 values, got 6/);
    throwsWith(() => emitTokenMetric({ dimensions: [], flavor: "azure-openai" }), PolicyOptionError, /at least one/);
    throwsWith(() => emitTokenMetric({ dimensions: [{ name: "API ID" }, { name: "api id" }], flavor: "llm" }), PolicyOptionError, /twice/);
    const f = emitTokenMetric({ dimensions: dims.slice(0, 5), flavor: "azure-openai" });
    assert.equal(f.policy, "azure-openai-emit-token-metric");
  });

  it("requires a value for dimensions the gateway does not fill in", () => {
    throwsWith(() => emitTokenMetric({ dimensions: [{ name: "Client IP" }], flavor: "azure-openai" }), PolicyOptionError, /"Client IP" needs a value/);
    throwsWith(() => emitTokenMetric({ dimensions: [{ name: "Backend ID" }], flavor: "azure-openai" }), PolicyOptionError, /"Backend ID" needs a value/);
    const f = emitTokenMetric({ dimensions: [{ name: "Client IP", value: "@(context.Request.IpAddress)" }, { name: "Backend ID" }], flavor: "llm" });
    const node = section(parse(composePolicy("Consumption", { inbound: [f] })), "inbound").children[1];
    assert.deepEqual(node.children.map((c) => c.attrs), [{ name: "Client IP", value: "@(context.Request.IpAddress)" }, { name: "Backend ID" }]);
  });

  it("refuses an expression where the reference page forbids one", () => {
    throwsWith(() => emitTokenMetric({ namespace: "@(context.Api.Name)", dimensions: [{ name: "API ID" }], flavor: "llm" }), PolicyOptionError, /namespace does not take a policy expression/);
  });
});

function jwtBase() {
  return { openIdConfigUrl: "https://login.example/.well-known/openid-configuration", issuer: "https://login.example/", audiences: ["api://ai"] };
}

describe("policies: cors", () => {
  const base = { allowedMethods: ["GET", "POST", "OPTIONS"], allowedHeaders: ["Content-Type", "Authorization"] };

  it("refuses * together with credentials", () => {
    throwsWith(() => cors({ ...base, allowedOrigins: ["*"], allowCredentials: true }), PolicyOptionError, /cannot be \* when allowCredentials is true/);
  });

  it("allows * alone without credentials, and named origins with credentials", () => {
    assert.match(cors({ ...base, allowedOrigins: ["*"] }).xml, /<origin>\*<\/origin>/);
    const f = cors({ ...base, allowedOrigins: ["https://a.example", "http://localhost:5173"], allowCredentials: true, exposeHeaders: ["x-request-id"], preflightMaxAgeSeconds: 300 });
    const node = section(parse(composePolicy("Consumption", { inbound: [f] })), "inbound").children[1];
    assert.equal(node.attrs["allow-credentials"], "true");
    assert.deepEqual(names(node), ["allowed-origins", "allowed-methods", "allowed-headers", "expose-headers"]);
    assert.deepEqual(node.children[0].children.map((c) => c.text), ["https://a.example", "http://localhost:5173"]);
    assert.equal(node.children[1].attrs["preflight-result-max-age"], "300");
  });

  it("refuses * mixed with origins, origins with paths and lower-case methods", () => {
    throwsWith(() => cors({ ...base, allowedOrigins: ["*", "https://a.example"] }), PolicyOptionError, /\* only on its own/);
    throwsWith(() => cors({ ...base, allowedOrigins: ["https://a.example/app"] }), PolicyOptionError, /without a path/);
    throwsWith(() => cors({ ...base, allowedOrigins: ["https://a.example"], allowedMethods: ["get"] }), PolicyOptionError, /upper-case/);
    throwsWith(() => cors({ ...base, allowedOrigins: [] }), PolicyOptionError, /at least one/);
  });
});

describe("policies: headers and backends", () => {
  it("deletes backend-revealing response headers in outbound, never Server", () => {
    const f = removeResponseHeaders();
    assert.equal(f.section, "outbound");
    const node = section(parse(composePolicy("Consumption", { outbound: [f] })), "outbound");
    assert.deepEqual(
      node.children.slice(1).map((c) => [c.name, c.attrs.name, c.attrs["exists-action"]]),
      BACKEND_REVEALING_RESPONSE_HEADERS.map((h) => ["set-header", h, "delete"]),
    );
    assert.ok(BACKEND_REVEALING_RESPONSE_HEADERS.some((h) => h.toLowerCase() === "x-powered-by"));
    assert.ok(!BACKEND_REVEALING_RESPONSE_HEADERS.some((h) => h.toLowerCase() === "server"));
    throwsWith(() => removeResponseHeaders(["Server"]), PolicyOptionError, /"Server" cannot be removed/);
    throwsWith(() => removeResponseHeaders([]), PolicyOptionError, /at least one/);
  });

  it("validates set-header actions and values", () => {
    throwsWith(() => setHeader({ name: "api-key", value: "x", existsAction: "delete" }), PolicyOptionError, /omitted when existsAction is delete/);
    throwsWith(() => setHeader({ name: "x-a" }), PolicyOptionError, /value is required when existsAction is override/);
    throwsWith(() => setHeader({ name: "Content-Length", value: "1" }), PolicyOptionError, /cannot be modified or deleted/);
    throwsWith(() => setHeader({ name: "bad header", value: "1" }), PolicyOptionError, /not an HTTP header name/);
    const multi = section(parse(composePolicy("Developer", { inbound: [setHeader({ name: "x-multi", value: ["a", "b"], existsAction: "append" })] })), "inbound").children[1];
    assert.deepEqual(multi.attrs, { name: "x-multi", "exists-action": "append" });
    assert.deepEqual(multi.children.map((c) => c.text), ["a", "b"]);
  });

  it("sets the backend by id or by URL, not both", () => {
    assert.match(setBackendService({ backendId: "ai" }).xml, /^<set-backend-service backend-id="ai" \/>$/);
    assert.match(setBackendService({ baseUrl: "http://ai.internal.example/v1" }).xml, /base-url="http:\/\/ai\.internal\.example\/v1"/);
    throwsWith(() => setBackendService({ baseUrl: "ftp://ai.example" }), PolicyOptionError, /must use https: or http:/);
    throwsWith(() => setBackendService({ backendId: "a", baseUrl: "https://b" } as never), PolicyOptionError, /not both/);
    throwsWith(() => setBackendService({} as never), PolicyOptionError, /not both/);
  });

  it("authenticates with the system-assigned or a user-assigned identity", () => {
    assert.equal(authenticationManagedIdentity({ resource: "https://cognitiveservices.azure.com" }).xml, '<authentication-managed-identity resource="https://cognitiveservices.azure.com" />');
    assert.match(
      authenticationManagedIdentity({ resource: "https://cognitiveservices.azure.com", clientId: "00000000-0000-0000-0000-000000000001", outputTokenVariableName: "msi" }).xml,
      /client-id="00000000-0000-0000-0000-000000000001" output-token-variable-name="msi"/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Realistic compositions: what ApiGateway attaches for the AI API on AKS and the Azure OpenAI API.

interface Settings {
  origins: string[];
  calls: number;
  periodSeconds: number;
  tpm: number;
}
const SETTINGS: Settings = { origins: ["https://chat.contoso.example"], calls: 60, periodSeconds: 60, tpm: 10000 };

function aiApiPolicy(tier: ApimSku, s: Settings): string {
  return composePolicy(
    tier,
    {
      inbound: [
        cors({ allowedOrigins: s.origins, allowedMethods: ["GET", "POST", "OPTIONS"], allowedHeaders: ["Content-Type", "Authorization", "Ocp-Apim-Subscription-Key"] }),
        validateJwt(jwtBase()),
        supportsPolicy(tier, "rate-limit-by-key")
          ? rateLimitByKey({ calls: s.calls, renewalPeriodSeconds: s.periodSeconds, counterKey: SUB })
          : rateLimit({ calls: s.calls, renewalPeriodSeconds: s.periodSeconds }),
        setHeader({ name: "x-request-id", value: "@(context.RequestId.ToString())", existsAction: "skip" }),
        ...(supportsPolicy(tier, "llm-token-limit") ? [tokenLimit({ tokensPerMinute: s.tpm, counterKey: SUB, flavor: "llm" })] : []),
        emitTokenMetric({ namespace: "ai-api", dimensions: [{ name: "Subscription ID" }, { name: "API ID" }], flavor: "llm" }),
      ],
      outbound: [removeResponseHeaders()],
    },
    { scope: "api" },
  );
}

function openAiApiPolicy(tier: ApimSku, s: Settings): string {
  return composePolicy(
    tier,
    {
      inbound: [
        setHeader({ name: "api-key", existsAction: "delete" }),
        setBackendService({ backendId: "azure-openai" }),
        authenticationManagedIdentity({ resource: "https://cognitiveservices.azure.com" }),
        ...(supportsPolicy(tier, "azure-openai-token-limit") ? [tokenLimit({ tokensPerMinute: s.tpm, counterKey: SUB, flavor: "azure-openai" })] : []),
        emitTokenMetric({
          namespace: "azure-openai",
          dimensions: [{ name: "Subscription ID" }, { name: "API ID" }, { name: "Client IP", value: "@(context.Request.IpAddress)" }],
          flavor: "azure-openai",
        }),
      ],
      outbound: [removeResponseHeaders()],
    },
    { scope: "api" },
  );
}

describe("policies: realistic compositions", () => {
  it("AI API on Developer: per-key rate limit and LLM token limit", () => {
    const inbound = section(parse(aiApiPolicy("Developer", SETTINGS)), "inbound");
    assert.deepEqual(names(inbound), ["base", "cors", "validate-jwt", "rate-limit-by-key", "set-header", "llm-token-limit", "llm-emit-token-metric"]);
    const limit = inbound.children[5];
    assert.deepEqual(limit.attrs, { "counter-key": SUB, "tokens-per-minute": "10000", "estimate-prompt-tokens": "true" });
  });

  it("AI API on Consumption: falls back to the per-subscription limit and drops the token limit", () => {
    const doc = parse(aiApiPolicy("Consumption", SETTINGS));
    const inbound = section(doc, "inbound");
    assert.deepEqual(names(inbound), ["base", "cors", "validate-jwt", "rate-limit", "set-header", "llm-emit-token-metric"]);
    assert.deepEqual(inbound.children[3].attrs, { calls: "60", "renewal-period": "60" });
    assert.ok(!all(doc).some((n) => /by-key|token-limit/.test(n.name)));
    assert.equal(section(doc, "outbound").children.length, 1 + BACKEND_REVEALING_RESPONSE_HEADERS.length);
  });

  it("Azure OpenAI API on Developer: managed identity, token limit and metrics", () => {
    const inbound = section(parse(openAiApiPolicy("Developer", SETTINGS)), "inbound");
    assert.deepEqual(names(inbound), [
      "base",
      "set-header",
      "set-backend-service",
      "authentication-managed-identity",
      "azure-openai-token-limit",
      "azure-openai-emit-token-metric",
    ]);
    assert.deepEqual(inbound.children[1].attrs, { name: "api-key", "exists-action": "delete" });
    assert.equal(inbound.children[3].attrs.resource, "https://cognitiveservices.azure.com");
    assert.deepEqual(inbound.children[5].attrs, { namespace: "azure-openai" });
    assert.equal(inbound.children[5].children.length, 3);
  });

  it("Azure OpenAI API on Consumption: metrics stay, the token limit is refused if forced", () => {
    const inbound = section(parse(openAiApiPolicy("Consumption", SETTINGS)), "inbound");
    assert.ok(names(inbound).includes("azure-openai-emit-token-metric"));
    assert.ok(!names(inbound).includes("azure-openai-token-limit"));
    throwsWith(
      () => composePolicy("Consumption", { inbound: [tokenLimit({ tokensPerMinute: 1000, counterKey: SUB, flavor: "azure-openai" })] }),
      PolicyTierError,
      /"azure-openai-token-limit" is not available in the Consumption tier/,
    );
  });

  it("product scope on every tier: subscription rate limit and quota, by key where the tier has it", () => {
    for (const tier of APIM_SKUS) {
      const inbound = [
        supportsPolicy(tier, "rate-limit-by-key") ? rateLimitByKey({ calls: 100, renewalPeriodSeconds: 60, counterKey: SUB }) : rateLimit({ calls: 100, renewalPeriodSeconds: 60 }),
        supportsPolicy(tier, "quota-by-key") ? quotaByKey({ calls: 10000, renewalPeriodSeconds: 86400, counterKey: SUB }) : quota({ calls: 10000, renewalPeriodSeconds: 86400 }),
      ];
      const got = names(section(parse(composePolicy(tier, { inbound }, { scope: "product" })), "inbound"));
      const expected = CLASSIC.includes(tier) ? ["base", "rate-limit-by-key", "quota-by-key"] : V2.includes(tier) ? ["base", "rate-limit-by-key", "quota"] : ["base", "rate-limit", "quota"];
      assert.deepEqual(got, expected, tier);
    }
  });
});
