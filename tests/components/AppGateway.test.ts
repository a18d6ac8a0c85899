/**
 * Application Gateway WAF_v2 in front of Internal APIM (issue 20 part 2), checked on the real graph of
 * `internal` with edge=appgw-waf: subnet and NSG, WAF policy in Prevention mode, listener TLS, backend host
 * header and probe, and the PFX the listener takes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { evaluateScenario, type ScenarioEvaluation } from "../../automation/evaluate";
import { appGatewayNsgRules, nsgVerdict, toSecurityRule } from "../../components/Network";
import { APIM_STATUS_PATH, EDGE_BUFFERING, EDGE_MANAGED_RULE_SET, EDGE_REQUEST_BODY, EDGE_TLS_POLICY } from "../../components/AppGateway";
import { PFX_MAX_BASE64_LENGTH, PFX_PASSWORD_LENGTH, pfxBase64, readPfx } from "../../components/pfx";
import { COMMON_DEFAULTS } from "../../config/defaults";
import { EDGE_AUTOSCALE } from "../../config/edge";
import { one, ofType } from "../helpers/graph";

const T = {
  gateway: "azure-native:network:ApplicationGateway",
  waf: "azure-native:network:WebApplicationFirewallPolicy",
  subnet: "azure-native:network:Subnet",
  nsg: "azure-native:network:NetworkSecurityGroup",
  pip: "azure-native:network:PublicIPAddress",
  apim: "azure-native:apimanagement:ApiManagementService",
  diag: "azure-native:monitor:DiagnosticSetting",
  component: "apim-aks-ai:edge:AppGateway",
} as const;

const EDGE_SUBNET = COMMON_DEFAULTS.edgeSubnetPrefix;
const VNET = [COMMON_DEFAULTS.vnetAddressSpace];

let e: ScenarioEvaluation;
const gw = () => one(e, T.gateway).inputs as Record<string, any>;

describe("AppGateway: WAF_v2 in front of Internal APIM, on the real graph (issue 20 part 2)", () => {
  before(async function () {
    this.timeout(60_000);
    e = await evaluateScenario("internal", { overrides: { edge: "appgw-waf" }, stack: "internal-edge" });
  });

  it("gets its own subnet with the NSG Microsoft documents: listener from the internet, GatewayManager 65200-65535, AzureLoadBalancer, then deny", () => {
    const subnet = one(e, T.subnet, (r) => r.inputs.subnetName === "snet-edge");
    assert.equal(subnet.inputs.addressPrefix, EDGE_SUBNET);
    const nsg = one(e, T.nsg, (r) => String(r.inputs.networkSecurityGroupName).endsWith("snet-edge-nsg"));
    const rules = nsg.inputs.securityRules as Record<string, unknown>[];
    const byName = Object.fromEntries(rules.map((r) => [r.name, r]));
    assert.deepEqual(
      [byName.AllowGatewayManagerInbound.sourceAddressPrefix, byName.AllowGatewayManagerInbound.destinationAddressPrefix, byName.AllowGatewayManagerInbound.destinationPortRange],
      ["GatewayManager", "*", "65200-65535"],
    );
    assert.equal(byName.AllowAzureLoadBalancerInbound.sourceAddressPrefix, "AzureLoadBalancer");
    assert.equal(byName.AllowInternetToListener.destinationPortRange, "443");
    const gatewayIp = "10.42.8.4";
    const verdict = (source: string, port: number) => nsgVerdict(rules, { source, destination: gatewayIp, port, protocol: "Tcp" }, VNET, { GatewayManager: ["198.51.100.0/24"] });
    assert.equal(verdict("203.0.113.9", 443).access, "Allow", "a client reaches the listener");
    assert.equal(verdict("198.51.100.7", 65200).access, "Allow", "GatewayManager reaches the infrastructure ports");
    assert.equal(verdict("203.0.113.9", 65200).rule, "DenyAllInbound", "nobody else reaches them");
    assert.equal(verdict("168.63.129.16", 8080).access, "Allow", "Azure Load Balancer's probes pass");
    assert.equal(verdict("10.42.16.5", 443).rule, "DenyAllInbound", "the rest of the VNet is denied");
    assert.equal(nsg.inputs.securityRules && (rules as { direction?: string }[]).some((r) => r.direction === "Outbound"), false, "outbound left at Azure's defaults");
    assert.deepEqual(rules, appGatewayNsgRules(EDGE_SUBNET).map(toSecurityRule));
  });

  it("runs WAF_v2 with a WAF policy in Prevention mode on Microsoft's Default Rule Set, linked to the gateway", () => {
    const waf = one(e, T.waf);
    const settings = waf.inputs.policySettings as Record<string, unknown>;
    assert.deepEqual([settings.state, settings.mode, settings.requestBodyCheck], ["Enabled", "Prevention", true]);
    assert.deepEqual((waf.inputs.managedRules as any).managedRuleSets, [EDGE_MANAGED_RULE_SET]);
    assert.deepEqual(gw().sku, { name: "WAF_v2", tier: "WAF_v2" });
    assert.deepEqual(gw().autoscaleConfiguration, EDGE_AUTOSCALE);
    assert.equal(gw().firewallPolicy.id, waf.id);
    assert.equal(gw().webApplicationFirewallConfiguration, undefined, "the legacy inline WAF config stays unset");
    assert.ok(one(e, T.gateway).dependencies.includes(waf.urn));
  });

  it("takes chat-sized request bodies: 2000 KB enforced and inspected whole, not the WAF's default 128 KB", () => {
    const settings = one(e, T.waf).inputs.policySettings as Record<string, unknown>;
    assert.deepEqual(
      [settings.requestBodyEnforcement, settings.maxRequestBodySizeInKb, settings.requestBodyInspectLimitInKB],
      [true, EDGE_REQUEST_BODY.maxRequestBodySizeInKb, EDGE_REQUEST_BODY.requestBodyInspectLimitInKB],
    );
    assert.equal(EDGE_REQUEST_BODY.maxRequestBodySizeInKb, 2000, "the largest body size the WAF takes with CRS 3.2 or later");
    assert.equal(EDGE_REQUEST_BODY.requestBodyInspectLimitInKB, EDGE_REQUEST_BODY.maxRequestBodySizeInKb, "no part of an admitted body passes uninspected");
  });

  it("listens on 443 with TLS 1.2 at least (predefined AppGwSslPolicy20220101) and the PFX as a secret", () => {
    assert.deepEqual(gw().sslPolicy, EDGE_TLS_POLICY);
    assert.deepEqual(gw().frontendPorts, [{ name: "https", port: 443 }]);
    const [listener] = gw().httpListeners;
    assert.equal(listener.protocol, "Https");
    assert.match(listener.sslCertificate.id, /\/applicationGateways\/agw-[a-z0-9-]+\/sslCertificates\/listener-certificate$/);
    const secrets = one(e, T.gateway).secretInputs;
    assert.ok(secrets.some((p) => p.startsWith("sslCertificates")), `secret inputs: ${secrets.join(", ")}`);
    const pip = one(e, T.pip, (r) => String(r.inputs.publicIpAddressName).startsWith("pip-agw-"));
    assert.deepEqual([pip.inputs.sku, pip.inputs.publicIPAllocationMethod], [{ name: "Standard", tier: "Regional" }, "Static"]);
    assert.equal(gw().frontendIPConfigurations[0].publicIPAddress.id, pip.id);
  });

  it("sends APIM its gateway host: backend pool, Host header and probe of /status-0123456789abcdef all name it", () => {
    const host = new URL(String(one(e, T.apim).outputs.gatewayUrl)).hostname;
    assert.match(host, /\.azure-api\.net$/);
    assert.deepEqual(gw().backendAddressPools[0].backendAddresses, [{ fqdn: host }]);
    const [settings] = gw().backendHttpSettingsCollection;
    assert.deepEqual([settings.protocol, settings.port, settings.hostName, settings.pickHostNameFromBackendAddress], ["Https", 443, host, false]);
    const [probe] = gw().probes;
    assert.deepEqual([probe.protocol, probe.host, probe.path], ["Https", host, APIM_STATUS_PATH]);
    assert.equal(APIM_STATUS_PATH, "/status-0123456789abcdef");
    assert.match(settings.probe.id, /\/probes\/apim-status$/);
    const [rule] = gw().requestRoutingRules;
    assert.ok(Number.isInteger(rule.priority) && rule.priority >= 1, "rules need a priority from network API 2021-08-01 on");
    assert.equal(gw().gatewayIPConfigurations[0].subnet.id, one(e, T.subnet, (r) => r.inputs.subnetName === "snet-edge").id);
  });

  it("relays streamed answers as they come: response buffering off (the WAF buffers requests anyway)", () => {
    assert.deepEqual(gw().globalConfiguration, { enableRequestBuffering: true, enableResponseBuffering: false });
    assert.deepEqual(gw().globalConfiguration, EDGE_BUFFERING);
  });

  it("is created after the private zone that resolves APIM's gateway host inside the VNet", () => {
    const host = new URL(String(one(e, T.apim).outputs.gatewayUrl)).hostname;
    const zone = one(e, "azure-native:privatedns:PrivateZone", (r) => r.inputs.privateZoneName === host);
    const dnsComponent = e.resources.find((r) => r.urn === zone.parent)!;
    const deps = one(e, T.gateway).dependencies;
    assert.ok(deps.includes(dnsComponent.urn) || deps.includes(zone.urn), `gateway waits for ${dnsComponent.urn}: ${deps.join(", ")}`);
  });

  it("sends its logs and metrics to Log Analytics like the other components", () => {
    const gateway = one(e, T.gateway);
    assert.ok(ofType(e, T.diag).some((d) => d.inputs.resourceUri === gateway.id), "a diagnostic setting on the gateway");
  });

  it("exports the edge's URL and its CA, and no edge without the setting", async () => {
    assert.match(String(e.outputs.edgeUrl?.value), /^https:\/\/[a-z0-9-]+-edge\.swedencentral\.cloudapp\.azure\.com$/);
    assert.match(String(e.outputs.edgeCaCertificatePem?.value), /BEGIN CERTIFICATE/);
    const plain = await evaluateScenario("internal");
    assert.equal(ofType(plain, T.gateway).length, 0);
    assert.equal(ofType(plain, T.component).length, 0);
    assert.equal(plain.outputs.edgeUrl, undefined);
  });
});

describe("pfx: the listener certificate as Application Gateway takes it", () => {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date("2026-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2027-01-01T00:00:00Z");
  cert.setSubject([{ name: "commonName", value: "edge.example" }]);
  cert.setIssuer([{ name: "commonName", value: "edge.example" }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const input = {
    certificatePem: forge.pki.certificateToPem(cert),
    privateKeyPkcs8Pem: forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey))),
    password: "abcdEFGH1234",
  };

  it("holds the certificate and the key under 3DES, readable with the password only, and is the same bytes every time", () => {
    const pfx = pfxBase64(input);
    assert.equal(pfxBase64(input), pfx, "deterministic: an unchanged certificate is no update");
    assert.deepEqual(readPfx(pfx, input.password), { commonNames: ["edge.example"], hasKey: true, keyEncryption: "pbeWithSHAAnd3-KeyTripleDES-CBC" });
    assert.throws(() => readPfx(pfx, "wrongpass"), /MAC|password/i);
    assert.notEqual(pfxBase64({ ...input, password: "abcdEFGH1235" }), pfx);
  });

  it("is read by OpenSSL with the password, and refused without it (skips where openssl is not installed)", function () {
    const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
    if (probe.status !== 0) this.skip();
    const dir = mkdtempSync(path.join(os.tmpdir(), "pfx-"));
    try {
      const file = path.join(dir, "listener.pfx");
      writeFileSync(file, Buffer.from(pfxBase64(input), "base64"));
      const read = (pass: string) => spawnSync("openssl", ["pkcs12", "-in", file, "-passin", `pass:${pass}`, "-info", "-nokeys"], { encoding: "utf8" });
      const ok = read(input.password);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(`${ok.stdout}${ok.stderr}`, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
      assert.match(ok.stdout, /subject=.*CN ?= ?edge\.example/);
      assert.notEqual(read("wrongpass1").status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stays within the 16384 base64 characters Application Gateway takes, and refuses a bundle beyond them", () => {
    const listenerSized = pfxBase64({ ...input, chainPems: [input.certificatePem] });
    assert.ok(listenerSized.length < PFX_MAX_BASE64_LENGTH / 2, `a leaf and its CA take ${listenerSized.length} characters`);
    const longChain = Array.from({ length: 40 }, () => input.certificatePem);
    assert.throws(() => pfxBase64({ ...input, chainPems: longChain }), /at most 16384/);
  });

  it("refuses a password outside 4-12 characters and a key that is not PKCS#8", () => {
    assert.equal(PFX_PASSWORD_LENGTH.max, 12);
    assert.throws(() => pfxBase64({ ...input, password: "abc" }), /4 to 12/);
    assert.throws(() => pfxBase64({ ...input, password: "abcdefghijklm" }), /4 to 12/);
    assert.throws(() => pfxBase64({ ...input, privateKeyPkcs8Pem: forge.pki.privateKeyToPem(keys.privateKey) }), /PRIVATE KEY/);
  });
});
