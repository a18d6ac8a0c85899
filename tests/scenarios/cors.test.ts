/**
 * Issue 12 item 6: CORS at API scope, first in the effective inbound policy, for both APIs, in every scenario.
 * The preflight below is an imitation of how APIM documents the cors policy (it answers a matching preflight
 * itself; "only one CORS policy is executed"), run on the policy XML the real scenario graph registers.
 * https://learn.microsoft.com/azure/api-management/cors-policy#common-configuration-issues
 */
import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { SCENARIO_NAMES } from "../../config/schema";
import { evaluated, ofType, one, T } from "./helpers";

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text?: string;
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "", trimValues: true });

function toNodes(raw: unknown[]): Node[] {
  return raw.flatMap((entry) => {
    const e = entry as Record<string, unknown>;
    const name = Object.keys(e).find((k) => k !== ":@");
    if (!name || name === "#text") return [];
    const children = e[name] as unknown[];
    const text = children.map((c) => (c as Record<string, unknown>)["#text"]).find((t) => t !== undefined);
    return [{ name, attrs: (e[":@"] as Record<string, string>) ?? {}, children: toNodes(children), text: text === undefined ? undefined : String(text) }];
  });
}

function inbound(xml: string): Node[] {
  const policies = toNodes(parser.parse(xml) as unknown[])[0];
  return policies.children.find((c) => c.name === "inbound")?.children ?? [];
}

/**
 * The inbound policies in the order APIM runs them: `<base />` replaced by the parent scope's inbound. A
 * preflight carries no subscription key, so APIM cannot tell the product and its scope does not apply: the
 * reason the cors page gives for product-scope CORS failing with the key in a header.
 */
function effectiveInbound(apiXml: string, productXml: string, productKnown: boolean): Node[] {
  const parent = productKnown ? inbound(productXml).filter((n) => n.name !== "base") : [];
  return inbound(apiXml).flatMap((n) => (n.name === "base" ? parent : [n]));
}

interface Preflight {
  origin: string;
  method: string;
  headers: string[];
}

/** Imitation of a browser preflight reaching the effective inbound policy, with no key and no token. */
function simulatedPreflight(policies: Node[], req: Preflight): { answeredBy: string; allowOrigin?: string } {
  const [first] = policies;
  if (first?.name !== "cors") return { answeredBy: first?.name ?? "backend" };
  const texts = (name: string) => first.children.find((c) => c.name === name)?.children.map((c) => c.text ?? "") ?? [];
  const origins = texts("allowed-origins");
  const methods = texts("allowed-methods");
  const headers = texts("allowed-headers").map((h) => h.toLowerCase());
  const matches =
    (origins.includes("*") || origins.includes(req.origin)) &&
    (methods.includes("*") || methods.includes(req.method)) &&
    req.headers.every((h) => headers.includes("*") || headers.includes(h.toLowerCase()));
  return { answeredBy: "cors", allowOrigin: matches ? req.origin : undefined };
}

describe("scenarios: CORS at API scope, first (issue 12 item 6)", () => {
  for (const scenario of SCENARIO_NAMES) {
    describe(scenario, () => {
      it("has no cors policy at product scope, where a subscription key in a header defeats it", async () => {
        const e = await evaluated(scenario);
        const product = one(e, T.productPolicy);
        assert.equal(inbound(String(product.inputs.value)).filter((n) => n.name === "cors").length, 0);
      });

      it("answers a browser preflight on both APIs before any key, token or limit is checked", async () => {
        const e = await evaluated(scenario);
        const origin = COMMON_DEFAULTS.corsAllowedOrigins[0];
        const productXml = String(one(e, T.productPolicy).inputs.value);
        const apiPolicies = ofType(e, T.apiPolicy);
        assert.ok(apiPolicies.length >= 2, "both APIs have a policy");
        for (const policy of apiPolicies) {
          const effective = effectiveInbound(String(policy.inputs.value), productXml, false);
          assert.equal(effective[0]?.name, "cors", `${policy.name}: effective inbound starts with ${effective.map((n) => n.name).join(", ")}`);
          const withKey = effectiveInbound(String(policy.inputs.value), productXml, true);
          assert.equal(withKey[0]?.name, "cors", `${policy.name}: first for keyed calls too`);
          assert.equal(withKey.filter((n) => n.name === "cors").length, 1, `${policy.name}: only one cors policy runs`);
          const keyHeader = /openai/.test(policy.name) ? "api-key" : "ocp-apim-subscription-key";
          const answer = simulatedPreflight(effective, { origin, method: "POST", headers: ["content-type", keyHeader] });
          assert.deepEqual(answer, { answeredBy: "cors", allowOrigin: origin }, policy.name);
          const stranger = simulatedPreflight(effective, { origin: "https://evil.example", method: "POST", headers: ["content-type"] });
          assert.equal(stranger.allowOrigin, undefined, `${policy.name}: an unlisted origin gets no Access-Control-Allow-Origin`);
        }
      });
    });
  }

  it("the imitation sees the old layout's failure: a keyless preflight never reaches product-scope cors", () => {
    const product = `<policies><inbound><cors allow-credentials="false"><allowed-origins><origin>http://localhost:5173</origin></allowed-origins><allowed-methods><method>POST</method></allowed-methods><allowed-headers><header>Content-Type</header></allowed-headers></cors><rate-limit calls="1" renewal-period="60" /></inbound></policies>`;
    const api = `<policies><inbound><set-header name="x" exists-action="skip"><value>1</value></set-header><base /></inbound></policies>`;
    const preflight = { origin: "http://localhost:5173", method: "POST", headers: [] };
    assert.equal(simulatedPreflight(effectiveInbound(api, product, false), preflight).answeredBy, "set-header");
  });
});
