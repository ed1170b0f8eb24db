import { APIError } from '@apogee/sdk';
import { refreshSession } from '@/app/api';

/** One chat message, OpenAI style. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Splits a Server-Sent Events byte stream into `data:` payloads (multi-line data joined with
 * `\n`; comments and other fields ignored). Tolerates `\r\n` and events split across chunks.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          if (data.length) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
    if (buf.startsWith('data:')) data.push(buf.slice(5).replace(/^ /, ''));
    if (data.length) yield data.join('\n');
  } finally {
    reader.releaseLock();
  }
}

/** The text delta of one `chat.completion.chunk` payload ('' when it carries none). */
export function chunkDelta(payload: string): string {
  try {
    const j = JSON.parse(payload) as {
      choices?: { delta?: { content?: string | null }; text?: string }[];
    };
    return j.choices?.[0]?.delta?.content ?? j.choices?.[0]?.text ?? '';
  } catch {
    return '';
  }
}

async function toError(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  let body: unknown = text;
  try {
    const j = JSON.parse(text) as { error?: { message?: string; code?: string } } & Record<
      string,
      unknown
    >;
    // OpenAI-style `{ error: { message, code } }` from the model server, or the API's own shape.
    body = j.error && typeof j.error === 'object' ? { ...j.error, requestId: j.requestId } : j;
  } catch {
    // plain text
  }
  const requestId = res.headers.get('x-request-id');
  return APIError.generate(res.status, body, requestId ? { 'x-request-id': requestId } : {});
}

/**
 * POSTs an OpenAI chat completion with `stream: true` (same-origin, session cookie) and calls
 * `onDelta` with each token as it arrives. Renews the session once on a 401. Resolves with the
 * whole answer.
 */
export async function streamChat(
  url: string,
  body: { model?: string; messages: ChatMessage[]; [k: string]: unknown },
  onDelta: (text: string) => void,
  signal?: AbortSignal,
  headers: Record<string, string> = {},
): Promise<string> {
  const send = () =>
    fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { ...headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ ...body, stream: true }),
      signal,
    });
  let res = await send();
  if (res.status === 401 && (await refreshSession())) res = await send();
  if (!res.ok || !res.body) throw await toError(res);
  let text = '';
  for await (const payload of sseData(res.body)) {
    if (payload.trim() === '[DONE]') break;
    const d = chunkDelta(payload);
    if (d) {
      text += d;
      onDelta(d);
    }
  }
  return text;
}
