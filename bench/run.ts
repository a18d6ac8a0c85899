// `npm run bench [name...] [-- --flag...]`: runs the named benches, or all of them, one after another;
// flags (e.g. `--json`) go to each bench.
const benches: Record<string, () => Promise<{ run: (flags: string[]) => Promise<unknown> }>> = {
  app: () => import("./app"),
  plan: () => import("./plan"),
};

async function main(args: string[]) {
  const flags = args.filter((a) => a.startsWith("--"));
  const names = args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((name) => !(name in benches));
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(", ")} (available: ${Object.keys(benches).join(", ")})`);
    process.exit(2);
  }
  for (const name of names.length > 0 ? names : Object.keys(benches)) {
    const bench = await benches[name]!();
    await bench.run(flags);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
