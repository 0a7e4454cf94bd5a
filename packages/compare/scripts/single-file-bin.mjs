// What both single-file builds of the bin share (tsup.config.ts's memray-compare.mjs and
// build-standalone.mjs's CommonJS bundle for the executable): src/bin.ts with every dependency bundled
// in, for Node 20, nothing else written beside it.
export const singleFileBin = {
  platform: "node",
  target: "node20",
  noExternal: [/.*/],
  splitting: false,
  sourcemap: false,
  dts: false,
  clean: false,
};
