"""The scene compiler: a :class:`~srichan_world.scene.model.Scene` in, one GLB out.

The only package that imports trimesh. Entry points live in :mod:`.compile`
(``build_glb``, ``over_budget``); landmark shapes in :mod:`.landmarks`, the street in
:mod:`.street`, game-data nodes in :mod:`.markers`, costs in :mod:`.stats`.
"""
