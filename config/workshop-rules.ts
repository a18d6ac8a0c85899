/**
 * Settings of workshop mode (docs/workshop.md) that go together: an attendee stack needs its name and the
 * shared stack it reads; the attendee settings mean nothing without the attendee role; and what the program
 * cannot split per attendee is refused here, before anything is created.
 */
import type { ScenarioTraits } from "../scenarios/traits";
import type { Problem } from "./rules";
import type { ScenarioConfig } from "./schema";

export function workshopProblems(c: ScenarioConfig, traits: ScenarioTraits): Problem[] {
  const problems: Problem[] = [];
  if (c.workshopRole === "attendee") {
    if (!c.attendee) problems.push({ key: "attendee", value: c.attendee, message: "workshopRole attendee needs the attendee's name (1-12 lowercase letters or digits)" });
    if (!c.sharedStack) problems.push({ key: "sharedStack", value: c.sharedStack, message: "workshopRole attendee needs the shared stack's fully qualified name, such as organization/apim-aks-ai-scenarios/public-shared" });
  } else {
    for (const key of ["attendee", "sharedStack", "attendeeGroupObjectId"] as const) {
      if (c[key] !== undefined) problems.push({ key, value: c[key], message: `only for workshopRole attendee (workshopRole is ${c.workshopRole ?? "not set"})` });
    }
  }
  if (c.workshopRole === undefined) return problems;
  // An Azure DNS label names one load balancer, <label>.<region>.cloudapp.azure.com, with no names under it,
  // so attendees' hosts need a zone of the user's. https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#dns-name-label
  if (traits.publicIngress && !c.ingressDomain) {
    problems.push({ key: "ingressDomain", value: c.ingressDomain, message: "workshop mode with a public ingress needs an Azure DNS zone of yours: each attendee's host is <attendee>.<label>.<zone>; set ingressDomain=<zone> and ingressDomainResourceGroup=<its resource group>" });
  }
  // Built in the whole scenario only (scenarios/foundation.ts): neither half would build them, so refuse them.
  if (c.edge !== "none") problems.push({ key: "edge", value: c.edge, message: "not available in workshop mode: set edge=none" });
  if (c.apimClientCertificates) {
    problems.push({ key: "apimClientCertificates", value: c.apimClientCertificates, message: "not available in workshop mode: the attendees' APIs would not check client certificates" });
  }
  if (c.openAiSecondaryLocation) {
    problems.push({ key: "openAiSecondaryLocation", value: c.openAiSecondaryLocation, message: "not available in workshop mode: attendees use the shared account only" });
  }
  return problems;
}
