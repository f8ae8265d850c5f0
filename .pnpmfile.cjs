// What a package's manifest looks like once packed (pnpm pack, pnpm publish, changeset publish).
// The `@switchyard/source` export condition points at TypeScript sources, which exist only in
// this repository (tests and tools run on them); the tarball ships `dist`, so the condition goes.
const SOURCE_CONDITION = '@switchyard/source';

function withoutSourceCondition(target) {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return target;
  return Object.fromEntries(
    Object.entries(target)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  );
}

module.exports = {
  hooks: {
    beforePacking(manifest) {
      return { ...manifest, exports: withoutSourceCondition(manifest.exports) };
    },
  },
};
