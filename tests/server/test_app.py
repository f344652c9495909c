"""HTTP surface of the service through a real loopback socket."""

from __future__ import annotations

import gzip
import json

from aiohttp.test_utils import TestClient


async def test_healthz(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_manifest_is_public_and_revalidated(client: TestClient) -> None:
    resp = await client.get("/scene/manifest.json", headers={"Accept-Encoding": "identity"})
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"
    manifest = json.loads(await resp.read())
    assert manifest["landmarks"][1]["name"]["th"] == "พิพิธภัณฑ์ธนารักษ์"
    assert all("correct" not in q for q in manifest["quiz_points"])
    etag = resp.headers["ETag"]
    again = await client.get("/scene/manifest.json", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_glb_is_immutable_by_hash_and_gzipped_on_request(client: TestClient) -> None:
    manifest = await (await client.get("/scene/manifest.json")).json()
    url = f"/scene/{manifest['content_hash']}.glb"
    resp = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert resp.status == 200
    assert "immutable" in resp.headers["Cache-Control"]
    assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await resp.read()) == b"glTF-test-bytes"
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert await plain.read() == b"glTF-test-bytes"
    assert "Content-Encoding" not in plain.headers


async def test_the_fallback_glb_is_served_beside_the_lean_one(client: TestClient) -> None:
    """For a browser without WebAssembly: same build, plain buffers, its own ETag."""
    manifest = await (await client.get("/scene/manifest.json")).json()
    lean = await client.get(f"/scene/{manifest['content_hash']}.glb")
    fallback = await client.get(f"/scene/{manifest['content_hash']}.fallback.glb")
    assert fallback.status == 200 and "immutable" in fallback.headers["Cache-Control"]
    assert await fallback.read() == b"glTF-fallback-bytes"
    assert await lean.read() == b"glTF-test-bytes"
    assert fallback.headers["ETag"] != lean.headers["ETag"]


async def test_unknown_scene_version_is_404(client: TestClient) -> None:
    for suffix in (".glb", ".fallback.glb"):
        resp = await client.get(f"/scene/{'00' * 32}{suffix}")
        assert resp.status == 404
        assert "manifest" in await resp.text()


async def test_metrics_are_prometheus_text(client: TestClient) -> None:
    resp = await client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    assert "srichan_connections" in text and "srichan_tick_seconds_bucket" in text


async def test_browser_client_and_vendor_modules_are_served(client: TestClient) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "importmap" in await page.text()
    three = await client.get("/vendor/three/build/three.module.js")
    assert three.status == 200
    msgpack = await client.get("/vendor/msgpack/index.mjs")
    assert msgpack.status == 200
