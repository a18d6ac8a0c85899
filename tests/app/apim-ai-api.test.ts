// How APIM publishes the AI API: its operations, its policy (SSE unbuffered, APIM's request id), and the
// probe that shows a streamed answer arrives as several events. Offline: policies as XML, the stack
// through the mock engine, and the probe's HTTP attempt against a loopback server.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { XMLParser } from "fast-xml-parser";
import { attempt } from "../../automation/driver/verify/probe-http";
import { judge } from "../../automation/driver/verify/verify";
import { CHAT_PATH } from "../../app/src/image";
import { composeGatewayPolicies, type GatewayPolicySettings } from "../../components/gateway-policies";
import { composePolicy, forwardRequest, setHeader } from "../../components/policies";
import { APIM_SKUS } from "../../config/schema";
import { probesFor, STREAMED_CHAT } from "../../scenarios/probes";
import { evaluated, ofType } from "../scenarios/helpers";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", preserveOrder: true });
type Node = Record<string, unknown>;

/** The policy elements of one section, as [name, attributes] in document order. */
function section(xml: string, name: string): [string, Record<string, string>][] {
  const policies = (parser.parse(xml) as Node[]).find((n) => "policies" in n)!.policies as Node[];
  const sectionNode = policies.find((n) => name in n);
  const children = (sectionNode?.[name] as Node[] | undefined) ?? [];
  return children.map((child) => {
    const tag = Object.keys(child).find((k) => k !== ":@")!;
    return [tag, (child[":@"] as Record<string, string> | undefined) ?? {}];
  });
}

const SETTINGS: GatewayPolicySettings = {
  corsAllowedOrigins: ["https://app.example"],
  rateLimitCalls: 10,
  rateLimitPeriodSeconds: 60,
  quotaCalls: 1000,
  quotaPeriodSeconds: 86400,
  tokenLimitPerMinute: 1000,
  metricNamespace: "ai",
};

describe("APIM and the AI API", () => {
  it("forward-request can turn response buffering off", () => {
    assert.match(forwardRequest({ bufferResponse: false }).xml, /^<forward-request buffer-response="false" \/>$/);
    assert.match(forwardRequest({ timeoutSeconds: 120, bufferResponse: true }).xml, /^<forward-request timeout="120" buffer-response="true" \/>$/);
    assert.equal(forwardRequest().xml, "<forward-request />");
  });

  it("a scope with its own forward-request does not also inherit one", () => {
    const xml = composePolicy("Developer", { inbound: [setHeader({ name: "x-a", value: "1" })], backend: [forwardRequest({ bufferResponse: false })] }, { scope: "api" });
    assert.deepEqual(section(xml, "backend"), [["forward-request", { "buffer-response": "false" }]]);
    assert.deepEqual(section(xml, "inbound").map(([n]) => n), ["base", "set-header"]);
    assert.deepEqual(section(xml, "outbound").map(([n]) => n), ["base"]);
    assert.deepEqual(section(composePolicy("Developer", {}, { scope: "api" }), "backend").map(([n]) => n), ["base"]);
  });

  for (const tier of APIM_SKUS) {
    it(`on ${tier}, relays the AI API's answers unbuffered and sets APIM's request id over the caller's`, () => {
      const xml = composeGatewayPolicies(tier, SETTINGS).aiApi;
      assert.deepEqual(section(xml, "backend"), [["forward-request", { "buffer-response": "false" }]]);
      const header = section(xml, "inbound").find(([n, a]) => n === "set-header" && a.name === "x-request-id");
      assert.equal(header?.[1]["exists-action"], "override");
    });
  }

  it("publishes the OpenAI-compatible chat route and health, nothing else", async () => {
    const e = await evaluated("public");
    const operations = ofType(e, "azure-native:apimanagement:ApiOperation")
      .filter((o) => o.inputs.apiId === "ai-api")
      .map((o) => `${String(o.inputs.method)} ${String(o.inputs.urlTemplate)}`)
      .sort();
    assert.deepEqual(operations, ["GET /healthz", `POST ${CHAT_PATH}`]);
    const policy = ofType(e, "azure-native:apimanagement:ApiPolicy").find((p) => p.inputs.apiId === "ai-api");
    assert.match(String(policy?.inputs.value), /<forward-request buffer-response="false" \/>/);
  });
});

describe("the streamed-answer probe", () => {
  const inputs = { gatewayUrl: "https://gw.example/", apiBasePath: "ai", backendHost: "b.example", rateLimitCalls: 5 };

  it("asks for a streamed chat answer through APIM before the rate-limit burst", () => {
    const probes = probesFor({ ...inputs, scenario: "external" });
    const names = probes.map((p) => p.name);
    const stream = probes.find((p) => p.name === "apim-streams-chat-events")!;
    assert.ok(names.indexOf("apim-streams-chat-events") < names.indexOf("apim-rate-limits-burst"));
    assert.equal(stream.request.url, `https://gw.example/ai${CHAT_PATH}`);
    assert.equal(stream.request.withSubscriptionKey, true);
    assert.deepEqual(stream.request.body, STREAMED_CHAT);
    assert.deepEqual(stream.expect, { status: 200, eventReadsAtLeast: 2 });
    assert.deepEqual(probesFor({ ...inputs, scenario: "consumption" }).find((p) => p.name === "apim-streams-chat-events")?.expect, { status: 200 });
  });

  it("passes only when the events arrived in more than one read", () => {
    const expect = { status: 200, eventReadsAtLeast: 2 };
    assert.equal(judge({ statuses: [200], eventReads: 3 }, expect), true);
    assert.equal(judge({ statuses: [200], eventReads: 1 }, expect), false);
    assert.equal(judge({ statuses: [200] }, expect), false);
    assert.equal(judge({ statuses: [200] }, { status: 200 }), true);
  });

  describe("counting reads", () => {
    let server: Server;
    let url: string;
    let spaced = true;
    before(async () => {
      server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const events = ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', "data: [DONE]\n\n"];
        if (!spaced) return void res.end(events.join(""));
        res.write(events[0]);
        setTimeout(() => res.write(events[1]), 50);
        setTimeout(() => res.end(events[2]), 100);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ai${CHAT_PATH}`;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it("counts events relayed as produced as several reads, and a buffered answer as one", async () => {
      spaced = true;
      const relayed = await attempt({ method: "POST", url, body: STREAMED_CHAT, timeoutMs: 5000 });
      assert.ok(relayed.ok && relayed.eventReads === 3, JSON.stringify(relayed));
      spaced = false;
      const buffered = await attempt({ method: "POST", url, body: STREAMED_CHAT, timeoutMs: 5000 });
      assert.ok(buffered.ok && buffered.eventReads === 1, JSON.stringify(buffered));
    });
  });
});
