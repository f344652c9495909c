// Validate a .glb/.gltf with the Khronos glTF validator and print its JSON report.
// Usage: node tools/validate_gltf.mjs FILE   (exit 0: no errors, 1: errors, 2: could not run)
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import validator from "gltf-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: node tools/validate_gltf.mjs FILE");
  process.exit(2);
}
try {
  const bytes = new Uint8Array(await readFile(file));
  const report = await validator.validateBytes(bytes, { uri: basename(file), maxIssues: 200 });
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.issues.numErrors > 0 ? 1 : 0);
} catch (error) {
  console.error(`validate_gltf: ${error}`);
  process.exit(2);
}
