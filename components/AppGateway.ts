/**
 * Application Gateway WAF_v2 in front of an APIM gateway that has only a private address (Internal mode): the one
 * way in from the internet. A public HTTPS listener on a Standard static public IP with an Azure DNS label, a WAF
 * policy with Microsoft's Default Rule Set in Prevention mode, one backend: APIM's gateway host name, which the
 * VNet's private DNS zones resolve to APIM's private address.
 * https://learn.microsoft.com/azure/api-management/api-management-howto-integrate-internal-vnet-appgateway
 *
 * The listener's certificate follows the project's certificate decision (config/certificates.ts): no Let's
 * Encrypt for `<label>.<region>.cloudapp.azure.com`, whose rate limit every Azure customer in the region
 * shares, so a private CA the program makes (tls provider, kept in state as secrets) signs it, and callers
 * trust that CA (the `caCertificatePem` output). Application Gateway takes the certificate either as a Key
 * Vault secret read with a user-assigned identity or as PFX data with a password; the PFX needs no Key Vault
 * (another soft-deleted resource for ephemeral stacks to purge) and deploys with nothing but ARM, and both the
 * PFX and its password are Pulumi secrets, encrypted in state.
 * https://learn.microsoft.com/azure/application-gateway/configure-keyvault-ps ("limited to the Application Gateway v2 SKU")
 * https://learn.microsoft.com/javascript/api/@azure-rest/arm-network/applicationgatewaysslcertificatepropertiesformat
 * (data: "Base-64 encoded pfx certificate"; password: "Password for the pfx file specified in data")
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as network from "@pulumi/azure-native/network";
import * as random from "@pulumi/random";
import { EDGE_AUTOSCALE } from "../config/edge";
import { addDiagnostics, type AzureScopeArgs, type DiagnosticsArgs, TYPE_PREFIX } from "./common";
import { PFX_PASSWORD_LENGTH, pfxBase64 } from "./pfx";
import { privateCa, signedCertificate } from "./private-ca";

/** APIM's health endpoint, served on every gateway without a key. https://learn.microsoft.com/azure/api-management/api-management-howto-integrate-internal-vnet-appgateway */
export const APIM_STATUS_PATH = "/status-0123456789abcdef";

/**
 * The predefined TLS policy AppGwSslPolicy20220101: TLS 1.2 minimum, 1.2 and 1.3 enabled (v2 SKUs only). It is
 * the default from API version 2023-02-01 on; set explicitly, so that the graph says it.
 * https://learn.microsoft.com/azure/application-gateway/application-gateway-ssl-policy-overview
 */
export const EDGE_TLS_POLICY = { policyType: "Predefined", policyName: "AppGwSslPolicy20220101" } as const;

/**
 * Microsoft's Default Rule Set 2.1: the OWASP Core Rule Set's rules with Microsoft's own, scored by anomaly (a
 * critical match, 5, blocks in Prevention mode). https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules
 */
export const EDGE_MANAGED_RULE_SET = { ruleSetType: "Microsoft_DefaultRuleSet", ruleSetVersion: "2.1" } as const;

/** Response buffering off, so that streamed answers reach the caller as APIM relays them. */
export const EDGE_BUFFERING = { enableRequestBuffering: true, enableResponseBuffering: false } as const;

/** Names of the gateway's child configurations; sub-resources refer to each other by ID under the gateway's. */
const PART = {
  ipConfig: "gateway-ip",
  frontend: "public-frontend",
  port: "https",
  certificate: "listener-certificate",
  listener: "https-listener",
  pool: "apim-gateway",
  settings: "apim-https",
  probe: "apim-status",
  rule: "to-apim",
} as const;

export interface AppGatewayArgs extends AzureScopeArgs {
  gatewayName: pulumi.Input<string>;
  wafPolicyName: pulumi.Input<string>;
  publicIpName: pulumi.Input<string>;
  /** DNS label of the public IP: the listener's host is `<label>.<region>.cloudapp.azure.com`. */
  dnsLabel: pulumi.Input<string>;
  /** The listener's host name, as the certificate names it (`<label>.<region>.cloudapp.azure.com`). */
  hostName: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** APIM's gateway host name (`<service>.azure-api.net`): backend address, Host header and probe host. */
  backendHost: pulumi.Input<string>;
  /** What makes `backendHost` resolve inside the VNet (its private DNS zones): the gateway is created after it. */
  backendDns?: pulumi.Input<pulumi.Resource>[];
  /** Common name of the private CA that signs the listener's certificate. */
  caCommonName: string;
  diagnostics?: DiagnosticsArgs;
}

/**
 * Request bodies up to 2000 KB, inspected whole. A chat call carries the whole conversation, so prompts outgrow the
 * WAF's default limit of 128 KB, and with enforcement on (azure-native's default, `requestBodyEnforcement ?? true`)
 * a larger body is refused at the edge. 2000 is the largest the WAF takes on WAF_v2 with CRS 3.2 or later, which
 * Default Rule Set 2.1 is ("For CRS 3.2 (on the WAF_v2 SKU) the limit is 2 MB for request body size",
 * https://learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-waf-request-size-limits), and
 * the REST spec's recorded WAF policy (network 2024-05-01 examples/WafPolicyCreateOrUpdate.json) answers
 * maxRequestBodySizeInKb 2000 with requestBodyInspectLimitInKB 2000. The inspection limit matches the size limit:
 * no part of an admitted body reaches APIM unchecked.
 */
export const EDGE_REQUEST_BODY = { requestBodyEnforcement: true, maxRequestBodySizeInKb: 2000, requestBodyInspectLimitInKB: 2000 } as const;

/** The WAF policy's settings: on, blocking (Prevention), inspecting request bodies. */
export function wafPolicySettings(): network.WebApplicationFirewallPolicyArgs["policySettings"] {
  return { state: "Enabled", mode: "Prevention", requestBodyCheck: true, ...EDGE_REQUEST_BODY };
}

export class AppGateway extends pulumi.ComponentResource {
  /** Name of the Application Gateway. */
  readonly resourceName: pulumi.Output<string>;
  readonly resourceId: pulumi.Output<string>;
  readonly wafPolicyId: pulumi.Output<string>;
  /** The public IP's address and host name, and the listener's URL. */
  readonly publicIpAddress: pulumi.Output<string>;
  readonly hostName: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  /** PEM of the CA that signed the listener's certificate: what callers trust. */
  readonly caCertificatePem: pulumi.Output<string>;

  constructor(name: string, args: AppGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${TYPE_PREFIX}:edge:AppGateway`, name, {}, opts);
    const parent = { parent: this };
    const scope = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };

    const ca = privateCa(name, { commonName: args.caCommonName, key: "rsa" }, parent);
    const leaf = signedCertificate(
      ca,
      { key: `${name}-listener-key`, request: `${name}-listener-csr`, cert: `${name}-listener-cert` },
      {
        subject: { commonName: args.hostName },
        dnsNames: [args.hostName],
        validityHours: 24 * 365,
        // Renewed by the `up` after the last 30 days begin.
        earlyRenewalHours: 24 * 30,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      parent,
    );
    const password = new random.RandomPassword(`${name}-pfx-password`, { length: PFX_PASSWORD_LENGTH.max, special: false }, parent);
    const pfx = pulumi
      .all([leaf.cert.certPem, ca.cert.certPem, leaf.key.privateKeyPemPkcs8, password.result])
      .apply(([certificatePem, caPem, privateKeyPkcs8Pem, pass]) => pfxBase64({ certificatePem, chainPems: [caPem], privateKeyPkcs8Pem, password: pass }));

    const publicIp = new network.PublicIPAddress(
      `${name}-pip`,
      {
        ...scope,
        publicIpAddressName: args.publicIpName,
        // WAF_v2 takes a Standard, static public IP. https://learn.microsoft.com/azure/application-gateway/configuration-frontend-ip
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        dnsSettings: { domainNameLabel: args.dnsLabel },
      },
      parent,
    );

    const waf = new network.WebApplicationFirewallPolicy(
      `${name}-waf`,
      {
        ...scope,
        policyName: args.wafPolicyName,
        policySettings: wafPolicySettings(),
        // `managedRules` is required: azure-native's schema, generated from the REST spec, marks it so
        // (network/webApplicationFirewallPolicy.d.ts: `managedRules: pulumi.Input<...>`, not optional).
        managedRules: { managedRuleSets: [{ ...EDGE_MANAGED_RULE_SET }] },
      },
      parent,
    );

    // Sub-resources refer to each other by their full IDs below the gateway's own.
    const subscriptionId = authorization.getClientConfigOutput(parent).subscriptionId;
    const gatewayId = pulumi.interpolate`/subscriptions/${subscriptionId}/resourceGroups/${args.resourceGroupName}/providers/Microsoft.Network/applicationGateways/${args.gatewayName}`;
    const ref = (kind: string, part: string) => ({ id: pulumi.interpolate`${gatewayId}/${kind}/${part}` });

    const gateway = new network.ApplicationGateway(
      name,
      {
        ...scope,
        applicationGatewayName: args.gatewayName,
        // WAF_v2 with autoscaling: `capacity` and `autoscaleConfiguration` are alternatives, one of them needed.
        sku: { name: "WAF_v2", tier: "WAF_v2" },
        autoscaleConfiguration: { ...EDGE_AUTOSCALE },
        // The WAF policy replaces the legacy `webApplicationFirewallConfiguration`, which is left unset.
        firewallPolicy: { id: waf.id },
        sslPolicy: { ...EDGE_TLS_POLICY },
        gatewayIPConfigurations: [{ name: PART.ipConfig, subnet: { id: args.subnetId } }],
        frontendIPConfigurations: [{ name: PART.frontend, publicIPAddress: { id: publicIp.id } }],
        frontendPorts: [{ name: PART.port, port: 443 }],
        sslCertificates: [{ name: PART.certificate, data: pulumi.secret(pfx), password: pulumi.secret(password.result) }],
        httpListeners: [
          {
            name: PART.listener,
            protocol: "Https",
            frontendIPConfiguration: ref("frontendIPConfigurations", PART.frontend),
            frontendPort: ref("frontendPorts", PART.port),
            sslCertificate: ref("sslCertificates", PART.certificate),
          },
        ],
        // APIM answers only for its own host names: the pool holds the gateway's name, the settings send it as
        // the Host header, and the probe asks for it too (the default IP-based probe fails). The name resolves to
        // APIM's private address through the VNet's private zones (scenarios/build.ts); the certificate APIM
        // presents for it (*.azure-api.net) comes from a public CA, which a v2 gateway trusts without a trusted
        // root certificate. https://learn.microsoft.com/azure/application-gateway/ssl-overview#end-to-end-tls-with-the-v2-sku
        backendAddressPools: [{ name: PART.pool, backendAddresses: [{ fqdn: args.backendHost }] }],
        backendHttpSettingsCollection: [
          {
            name: PART.settings,
            port: 443,
            protocol: "Https",
            cookieBasedAffinity: "Disabled",
            hostName: args.backendHost,
            pickHostNameFromBackendAddress: false,
            // Streams from the AI API run longer than the 30 s default; APIM's own limit is longer still.
            requestTimeout: 180,
            probe: ref("probes", PART.probe),
          },
        ],
        probes: [
          {
            name: PART.probe,
            protocol: "Https",
            host: args.backendHost,
            path: APIM_STATUS_PATH,
            pickHostNameFromBackendHttpSettings: false,
            interval: 30,
            timeout: 120,
            unhealthyThreshold: 8,
            match: { statusCodes: ["200-399"] },
          },
        ],
        // `priority` is required on every rule from network API version 2021-08-01 on (azure-native 3.x sends
        // 2024-05-01): "As of Azure Network API version 2021-08-01 priority is now mandatory"
        // (hashicorp/terraform-provider-azurerm#16849).
        requestRoutingRules: [
          {
            name: PART.rule,
            ruleType: "Basic",
            priority: 100,
            httpListener: ref("httpListeners", PART.listener),
            backendAddressPool: ref("backendAddressPools", PART.pool),
            backendHttpSettings: ref("backendHttpSettingsCollection", PART.settings),
          },
        ],
        enableHttp2: true,
        // Streamed answers (server-sent events) pass as they come: response buffering off. Request buffering
        // stays, as the WAF buffers requests anyway ("Request buffering can't be disabled if you're running the
        // WAF SKU"). https://learn.microsoft.com/azure/application-gateway/proxy-buffers
        globalConfiguration: { ...EDGE_BUFFERING },
      },
      // Creating or updating a v2 gateway takes minutes (data/estimates.json); the timeouts leave room for slow regions.
      { parent: this, dependsOn: args.backendDns ?? [], customTimeouts: { create: "40m", update: "40m", delete: "40m" } },
    );
    if (args.diagnostics) addDiagnostics(name, gateway.id, args.diagnostics, { parent: this });

    this.resourceName = gateway.name;
    this.resourceId = gateway.id;
    this.wafPolicyId = waf.id;
    this.publicIpAddress = publicIp.ipAddress.apply((a) => a ?? "");
    this.hostName = pulumi.output(args.hostName);
    this.url = pulumi.interpolate`https://${args.hostName}`;
    this.caCertificatePem = ca.cert.certPem;
    this.registerOutputs({
      resourceName: this.resourceName,
      resourceId: this.resourceId,
      wafPolicyId: this.wafPolicyId,
      publicIpAddress: this.publicIpAddress,
      hostName: this.hostName,
      url: this.url,
      caCertificatePem: this.caCertificatePem,
    });
  }
}
