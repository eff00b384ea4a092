// ESLint with typescript-eslint's type-aware strict rules, over the source, the tests and the scripts.
// Formatting is Prettier's (npm run format); the direction of imports between layers is checked separately.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "action/dist/**", "coverage/**", "examples/**", "test/fixtures/**", "**/*.d.mts"],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: ["./tsconfig.test.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tsconfig's noUncheckedIndexedAccess types every index as possibly undefined; `xs[i]!` after a bounds
      // check is how the code states that the index is in range. The rule would only trade it for `as` casts.
      "@typescript-eslint/no-non-null-assertion": "off",
      // Numbers and booleans print as expected in messages; objects, arrays, null and undefined stay errors.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      // `() => void f()` and `(x) => list.push(x)` shorthands are idiomatic; void results elsewhere stay errors.
      // An `async` method implementing a Promise-returning interface turns its throws into rejections, which
      // is what its callers handle; removing `async` because nothing is awaited would change that.
      "@typescript-eslint/require-await": "off",
      // `_`-prefixed names are deliberately unused (destructuring away a field, a parameter kept for its position).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-confusing-void-expression": [
        "error",
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
    },
  },
  {
    // Tests read reports and plans back with JSON.parse (typed `any`) and assert their shape with expect();
    // the JSON Schema tests hold the shapes themselves. Elsewhere `any` stays an error.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-explicit-any": "off",
      // Tests reset process.env by name.
      "@typescript-eslint/no-dynamic-delete": "off",
    },
  },
  {
    // Plain JavaScript (scripts, the pre-commit entry, this file): no type information.
    files: ["**/*.mjs", "**/*.cjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
  },
);
