// Download a GLB with real progress. The server may gzip it, so Content-Length counts
// compressed bytes while the reader yields plain ones; the GLB header's own length field
// (bytes 8..12) tells the true size as soon as the first chunk arrives.

export class DownloadError extends Error {}

/**
 * Can this browser draw the lean GLB? It needs WebAssembly for the meshopt decoder
 * (EXT_meshopt_compression). Without it, or with `?glb=fallback` in the address (for a
 * device that struggles, and for tests), the fallback: the same street in plain buffers.
 */
export function leanGlbSupported(search = location.search) {
  if (new URLSearchParams(search).get("glb") === "fallback") return false;
  return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
}

/** Where the street of build `contentHash` is, for this browser. */
export function glbUrl(contentHash, lean = leanGlbSupported()) {
  return `/scene/${contentHash}${lean ? "" : ".fallback"}.glb`;
}

/**
 * Fetch `url` as an ArrayBuffer, calling `onProgress(received, total)`; `total` is null until
 * the GLB header (or, uncompressed, Content-Length) tells it.
 */
export async function downloadGlb(url, onProgress) {
  let response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new DownloadError(`network error: ${err.message}`);
  }
  if (!response.ok) throw new DownloadError(`HTTP ${response.status} for ${url}`);
  const encoded = response.headers.get("Content-Encoding");
  const length = Number(response.headers.get("Content-Length")) || null;
  let total = encoded ? null : length;
  if (!response.body) {
    const buffer = await response.arrayBuffer();
    onProgress(buffer.byteLength, buffer.byteLength);
    return buffer;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    if (chunks.length === 1 && value.byteLength >= 12) total = glbLength(value) ?? total;
    onProgress(received, total);
  }
  const out = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  onProgress(received, received);
  return out.buffer;
}

/** The total length a GLB header declares, or null when the bytes are not a GLB header. */
export function glbLength(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== 0x46546c67) return null; // "glTF"
  return view.getUint32(8, true);
}
