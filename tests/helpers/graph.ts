import { type Evaluation, evaluateProgram, type RegisteredResource } from "../../automation/mock-engine";

/** The registrations of one type token in an evaluation (a scenario's or a single component's). */
export function ofType(e: { resources: RegisteredResource[] }, type: string): RegisteredResource[] {
  return e.resources.filter((r) => r.type === type);
}

/** The one registration of a type that matches; throws when there are none or several. */
export function one(e: { resources: RegisteredResource[] }, type: string, predicate: (r: RegisteredResource) => boolean = () => true): RegisteredResource {
  const found = ofType(e, type).filter(predicate);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Runs `construct` in the mock engine and returns what it threw, with the graph registered meanwhile. */
export async function constructionError(construct: () => void): Promise<{ error: unknown; e: Evaluation }> {
  let error: unknown;
  const e = await evaluateProgram(() => {
    try {
      construct();
    } catch (err) {
      error = err;
    }
    return {};
  }, { project: "test", stack: "t" });
  return { error, e };
}
