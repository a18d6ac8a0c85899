/** The failover contract between the program and the AI API, without the AI API's dependencies. */

/** Extra endpoints, comma-separated, tried in order after AZURE_OPENAI_ENDPOINT (same deployment name). */
export const FAILOVER_ENDPOINTS_ENV = "AZURE_OPENAI_FAILOVER_ENDPOINTS";
/** Response header naming the endpoint that answered: `openai-1` (primary), `openai-2`, ... as APIM's backends. */
export const MODEL_ENDPOINT_HEADER = "x-model-endpoint";
