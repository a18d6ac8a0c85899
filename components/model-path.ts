/** Names the model path shares between the program and the policy pack, without a provider SDK. */

/**
 * The zone Azure OpenAI's endpoint `<name>.openai.azure.com` resolves through (a public CNAME to
 * `<name>.privatelink.openai.azure.com`): linked to a VNet, the name answers with the private endpoint's address
 * there and with the public one everywhere else. The private endpoint's DNS zone group writes the record.
 * https://learn.microsoft.com/azure/private-link/private-endpoint-dns#ai--machine-learning
 */
import { aggregateCidrs, ipToString, parseCidr } from "../config/cidr";

export const OPENAI_PRIVATE_LINK_ZONE = "privatelink.openai.azure.com";

/**
 * Tag on an account whose public endpoint is kept next to its private endpoint on purpose (debugging); the
 * policy pack reports it (advisory) instead of refusing it.
 */
export const DEBUG_PUBLIC_ACCESS_TAG = "openai-public-access";
export const DEBUG_PUBLIC_ACCESS_VALUE = "debug";

/**
 * At most this many IP rules per Azure AI services account; more is refused by ARM.
 * "Each Azure AI services resource supports up to 100 IP network rules."
 * https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks#managing-ip-network-rules
 */
export const MAX_AI_SERVICES_IP_RULES = 100;

/**
 * The values of the account's IP rules for the given addresses and ranges: merged to the fewest blocks (the
 * region's shared ranges are many and often adjacent), a /32 as a plain address, and a /31 as its two addresses,
 * because "small address ranges that use /31 or /32 prefix sizes aren't supported" (same page).
 */
export function ipRuleValues(ipRanges: readonly string[]): string[] {
  return aggregateCidrs(ipRanges).flatMap((block) => {
    const [address, prefix] = block.split("/");
    if (prefix === "32") return [address];
    if (prefix === "31") {
      const c = parseCidr(block)!;
      return [ipToString(c.network), ipToString(c.network + 1)];
    }
    return [block];
  });
}
