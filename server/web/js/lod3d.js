// Levels of detail for heavy imported landmarks. The scene tool gives such a landmark two
// levels under its marker, each tagged `extras.srichan_lod = {of, level, far_m}`
// (srichan_world/gltf/lod.py); here they become one THREE.LOD, so a cheap phone draws the
// simplified copy from `far_m` metres on. Our procedural landmarks have none.

import * as THREE from "three";

/** Replace every pair of tagged levels under `root` by a THREE.LOD; returns the LODs made. */
export function useLevelsOfDetail(root) {
  const byLandmark = new Map();
  root.traverse((node) => {
    const tag = node.userData?.srichan_lod;
    if (!tag) return;
    if (!byLandmark.has(tag.of)) byLandmark.set(tag.of, []);
    byLandmark.get(tag.of).push({ tag, node });
  });
  const made = [];
  for (const [landmark, levels] of byLandmark) {
    const parent = levels[0].node.parent;
    const lod = new THREE.LOD();
    lod.name = `lod_${landmark}`;
    levels.sort((a, b) => a.tag.level - b.tag.level);
    for (const { tag, node } of levels) {
      parent.remove(node);
      lod.addLevel(node, tag.level === 0 ? 0 : tag.far_m);
    }
    parent.add(lod);
    made.push(lod);
  }
  return made;
}
