/** Artifact file formats the registry knows. */
export const ARTIFACT_FORMATS = ['onnx', 'gguf', 'safetensors', 'hf-dir', 'luml', 'other'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** Bytes of the file's start that {@link detectFormat} looks at. */
export const HEADER_BYTES = 64 * 1024;

/** Best guess from the file name alone (at create time, before any byte is stored). */
export function formatFromFileName(fileName: string): ArtifactFormat {
  const n = fileName.toLowerCase();
  if (n.endsWith('.onnx') || n.endsWith('.ort')) return 'onnx';
  if (n.endsWith('.gguf')) return 'gguf';
  if (n.endsWith('.safetensors')) return 'safetensors';
  if (n.endsWith('.luml') || n.endsWith('.fnnx') || n.endsWith('.dfs')) return 'luml';
  return 'other';
}

/**
 * Refines the guess with the file's first bytes: GGUF and safetensors have recognisable headers,
 * ONNX is a protobuf starting with `ir_version` (field 1, varint), and a tar is a LUML/FNNX
 * package when its name says so or it holds `meta.json`/`manifest.json`, a Hugging Face model
 * directory when it holds `config.json` next to weights or a tokenizer.
 */
export function detectFormat(fileName: string, head: Buffer): ArtifactFormat {
  const byName = formatFromFileName(fileName);
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'GGUF') return 'gguf';
  if (isSafetensors(head)) return 'safetensors';
  if (isTar(head)) {
    if (byName === 'luml') return 'luml';
    const names = tarNames(head).map((n) => n.replace(/^\.\//, ''));
    const base = names.map((n) => n.split('/').pop() ?? n);
    if (base.includes('meta.json') || base.includes('manifest.json')) return 'luml';
    if (
      base.includes('config.json') &&
      base.some(
        (n) => n.endsWith('.safetensors') || n.endsWith('.bin') || n.startsWith('tokenizer'),
      )
    )
      return 'hf-dir';
    return 'other';
  }
  if (byName === 'onnx' && head[0] === 0x08) return 'onnx';
  if (byName === 'gguf' || byName === 'safetensors' || byName === 'onnx') return 'other';
  return byName;
}

function isSafetensors(head: Buffer): boolean {
  if (head.length < 10) return false;
  const n = Number(head.readBigUInt64LE(0));
  return n > 1 && n < 100 * 1024 * 1024 && head[8] === 0x7b; // '{'
}

function isTar(head: Buffer): boolean {
  return head.length >= 512 && head.toString('latin1', 257, 262) === 'ustar';
}

/** Entry names of the tar headers within the first bytes. */
function tarNames(head: Buffer): string[] {
  const names: string[] = [];
  let off = 0;
  while (off + 512 <= head.length && names.length < 200) {
    if (head.toString('latin1', off + 257, off + 262) !== 'ustar') break;
    const name = head.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    const prefix = head.toString('utf8', off + 345, off + 500).replace(/\0.*$/s, '');
    names.push(prefix ? `${prefix}/${name}` : name);
    const size = parseInt(
      head
        .toString('latin1', off + 124, off + 136)
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    off += 512 + Math.ceil((Number.isFinite(size) ? size : 0) / 512) * 512;
  }
  return names;
}
