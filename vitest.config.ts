import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Two tiers, both run by `npm test` (and CI):
 * - `unit`: in-process tests of the source, fast, no build needed — `npm run test:unit` is the
 *   edit-test loop;
 * - `e2e`: tests that start processes (the built bin, git histories, pre-commit, the Action, SARIF
 *   Multitool, the AWS CLI, npm pack) or sweep whole corpora; they need `npm run build` first.
 *   `test/live/schedule.test.ts` is here too: it waits out real report timeouts (15 s).
 * A new test file is a unit test unless it is listed here.
 *
 * Unit test files share their modules within a worker (`isolate: false`, about half the time of
 * loading the source again for each file), except those that mock modules (`vi.mock`), which get
 * their own module graph in the `unit-mocks` project. The unit tier is in-process work bound by the
 * CPU, so it gets a worker per core (Vitest's default leaves one to its main process, which has
 * little to do here); the e2e tier keeps the default, as its tests start processes of their own.
 * Projects with different worker counts run one after the other (`sequence.groupOrder`).
 */
const UNIT = { maxWorkers: availableParallelism(), sequence: { groupOrder: 0 } };
const MOCKS = ["test/load/front-end.test.ts"];
const E2E = [
  "test/change/action.test.ts",
  "test/change/change.test.ts",
  "test/change/equivalence.test.ts",
  "test/change/git-tree.test.ts",
  "test/change/pre-commit.test.ts",
  "test/change/replacement.test.ts",
  "test/change/staged-base.test.ts",
  "test/cli/bin.test.ts",
  "test/cli/color.test.ts",
  "test/cli/early-change.test.ts",
  "test/cli/debug.test.ts",
  "test/cli/live.test.ts",
  "test/cli/usage.test.ts",
  "test/hostile/bounds.test.ts",
  "test/hostile/cache-trust.test.ts",
  "test/hostile/directories.test.ts",
  "test/hostile/files.test.ts",
  "test/hostile/fuzz.test.ts",
  "test/hostile/git-safety.test.ts",
  "test/hostile/messages.test.ts",
  "test/live/fake-aws-cli.test.ts",
  "test/live/schedule.test.ts",
  "test/load/scan-verdicts.test.ts",
  "test/load/hcl-parser-corpus.test.ts",
  "test/load/prefilter.test.ts",
  "test/load/read-ahead.test.ts",
  "test/model/files-as-data-change.test.ts",
  "test/model/imports-change.test.ts",
  "test/model/overrides-change.test.ts",
  "test/model/shared-modules-change.test.ts",
  "test/policies/test-policy-change.test.ts",
  "test/release/action-bundle.test.ts",
  "test/release/package.test.ts",
  "test/report/sarif-multitool.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...E2E, ...MOCKS], isolate: false, ...UNIT },
      },
      { extends: true, test: { name: "unit-mocks", include: MOCKS, ...UNIT } },
      { extends: true, test: { name: "e2e", include: E2E, sequence: { groupOrder: 1 } } },
    ],
  },
});
