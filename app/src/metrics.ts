/** Counters in the Prometheus text format: upstream health lives here, not in readiness. */
export class Metrics {
  private readonly upstreamResponses = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly tokenFailures = new Map<string, number>();
  openStreams = 0;
  abortedRequests = 0;

  upstreamResponse(status: number | undefined): void {
    const key = status === undefined ? "none" : String(status);
    this.upstreamResponses.set(key, (this.upstreamResponses.get(key) ?? 0) + 1);
  }

  failure(code: string): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  tokenFailure(reason: string): void {
    this.tokenFailures.set(reason, (this.tokenFailures.get(reason) ?? 0) + 1);
  }

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, label: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of values) lines.push(`${name}{${label}="${key}"} ${value}`);
    };
    counter("ai_api_upstream_responses_total", "Answers of the model endpoint by HTTP status (none: no answer).", "status", this.upstreamResponses);
    counter("ai_api_failures_total", "Failed chat requests by error code.", "code", this.failures);
    counter("ai_api_token_failures_total", "Failed token acquisitions by reason.", "reason", this.tokenFailures);
    lines.push(
      "# HELP ai_api_requests_aborted_total Requests the client left before the answer was complete.",
      "# TYPE ai_api_requests_aborted_total counter",
      `ai_api_requests_aborted_total ${this.abortedRequests}`,
      "# HELP ai_api_open_streams Event streams being relayed.",
      "# TYPE ai_api_open_streams gauge",
      `ai_api_open_streams ${this.openStreams}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
