/**
 * keygate's layers, enforced by dependency-cruiser (npm test runs it: npm run lint:layers).
 * Data flows load → model → policies → suppress → report → engine (scan.ts, scan-verdicts.ts, live-audit.ts, change/) → commands → cli.
 * A module imports only from its own layer, the layers before it, and the shared core.
 */
const LAYERS = [
  {
    name: "core",
    path: "^src/(findings|scan-result|policy-info|package|suggest)\\.ts$",
    what: "the shared core (findings.ts, scan-result.ts, policy-info.ts, package.ts, suggest.ts)",
  },
  { name: "load", path: "^src/load/", what: "load/ (reading files, parsing)" },
  {
    name: "live",
    path: "^src/live/",
    what: "live/ (the AWS account audit; beside load/ and model/, it imports only the core)",
    only: ["core"],
  },
  { name: "model", path: "^src/model/", what: "model/ (modules, configurations, expressions)" },
  { name: "policies", path: "^src/policies/", what: "policies/ (what is checked)" },
  { name: "suppress", path: "^src/suppress/", what: "suppress/ (inline suppressions, the baseline)" },
  { name: "report", path: "^src/report/", what: "report/ (the output formats)" },
  {
    name: "engine",
    path: "^src/(scan\\.ts$|scan-verdicts\\.ts$|live-audit\\.ts$|change/)",
    what: "the engine (scan.ts, scan-verdicts.ts, live-audit.ts, change/)",
  },
  { name: "commands", path: "^src/commands/", what: "commands/ (one module per command)" },
  {
    name: "cli",
    path: "^src/(cli|bin|index|early)\\.ts$|^src/action/",
    what: "the entry points (cli.ts, bin.ts, index.ts, early.ts, action/)",
  },
];
const ORDER =
  "load → model → policies → suppress → report → engine (scan.ts, live-audit.ts, change/) → commands → cli; live/ beside load/model; the core everywhere";
const forbidden = [
  {
    name: "no-circular",
    severity: "error",
    comment:
      "An import cycle (type-only imports included): move the shared type to the module both depend on, or to the core.",
    from: { path: "^src/" },
    to: { circular: true },
  },
];
LAYERS.forEach((layer, i) => {
  const allowed = layer.only ?? [
    "core",
    ...LAYERS.slice(1, i)
      .map((l) => l.name)
      .filter((n) => n !== "live" || !["load", "model"].includes(layer.name)),
  ];
  const others = LAYERS.filter((l) => l.name !== layer.name && !allowed.includes(l.name));
  if (!others.length) return;
  forbidden.push({
    name: `layer-${layer.name}`,
    severity: "error",
    comment: `${layer.what} may import only from itself${allowed
      .filter((n) => n !== layer.name)
      .map((n) => ` and ${n}`)
      .join(
        "",
      )}; it must not import ${others.map((l) => l.name).join(", ")} (${ORDER}). Move the type or function to the layer that owns it.`,
    from: { path: layer.path },
    to: { path: others.map((l) => `(${l.path})`).join("|") },
  });
});
forbidden.push({
  name: "no-unlayered",
  severity: "error",
  comment: `Every module under src/ belongs to a layer (${ORDER}): add it to .dependency-cruiser.cjs's LAYERS.`,
  from: { path: "^src/", pathNot: LAYERS.map((l) => `(${l.path})`).join("|") },
  to: {},
});
module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js"],
    },
  },
};
