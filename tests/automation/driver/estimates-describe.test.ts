import { strict as assert } from "node:assert";
import { describeCost, describeList, describeTimed } from "../../../automation/driver/estimates/estimates";
import type { CostLine, TimedResource } from "../../../automation/plan/estimates";

describe("automation/driver/estimates: the plan's estimate items in the compare report", () => {
  const aks: TimedResource = { urn: "urn:pulumi:s::p::azure-native:containerservice:ManagedCluster::aks", type: "azure-native:containerservice:ManagedCluster", minutes: 12.345 };
  const nodes: CostLine = { type: "azure-native:containerservice:ManagedCluster", item: "node VMs (Standard_D2s_v5)", count: 3, usd: 210.24, basis: "per VM-month", source: "https://azure.microsoft.com/pricing/details/virtual-machines/linux/", usage: false };

  it("describes the plan's TimedResource and CostLine from their types", () => {
    assert.equal(describeTimed(aks), "containerservice:ManagedCluster aks (12.3 min)");
    assert.equal(describeCost(nodes), "node VMs (Standard_D2s_v5) x3: $210/month (per VM-month)");
    assert.equal(describeCost({ ...nodes, count: 1, usd: 0, unknown: true, basis: "" }), "node VMs (Standard_D2s_v5): no price known");
  });

  it("lists the plan's slowest resource, critical path and cost lines, one line each", () => {
    assert.deepEqual(describeList(aks), ["containerservice:ManagedCluster aks (12.3 min)"]);
    assert.deepEqual(describeList([aks, nodes]), ["containerservice:ManagedCluster aks (12.3 min)", "node VMs (Standard_D2s_v5) x3: $210/month (per VM-month)"]);
    assert.deepEqual(describeList(undefined), []);
  });
});
