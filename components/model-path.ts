/** Names the model path shares between the program and the policy pack, without a provider SDK. */

/**
 * The zone Azure OpenAI's endpoint `<name>.openai.azure.com` resolves through (a public CNAME to
 * `<name>.privatelink.openai.azure.com`): linked to a VNet, the name answers with the private endpoint's address
 * there and with the public one everywhere else. The private endpoint's DNS zone group writes the record.
 * https://learn.microsoft.com/azure/private-link/private-endpoint-dns#ai--machine-learning
 */
export const OPENAI_PRIVATE_LINK_ZONE = "privatelink.openai.azure.com";

/**
 * Tag on an account whose public endpoint is kept next to its private endpoint on purpose (debugging); the
 * policy pack reports it (advisory) instead of refusing it.
 */
export const DEBUG_PUBLIC_ACCESS_TAG = "openai-public-access";
export const DEBUG_PUBLIC_ACCESS_VALUE = "debug";
