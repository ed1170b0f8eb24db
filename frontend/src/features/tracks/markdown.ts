import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * Model-card markdown → safe HTML: GitHub-flavoured markdown through `marked`, then DOMPurify
 * (no scripts, event handlers, `javascript:` URLs, iframes, forms or styles); links open in a new
 * tab without an opener.
 */
export function renderMarkdown(md: string): string {
  const html = marked.parse(md ?? '', { async: false, gfm: true, breaks: false }) as string;
  const clean = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
  const tpl = document.createElement('template');
  tpl.innerHTML = clean;
  harden(tpl.content);
  tpl.content.querySelectorAll('a[href]').forEach((a) => {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer nofollow');
  });
  return tpl.innerHTML;
}

const BLOCKED =
  'script, style, iframe, object, embed, form, input, button, link, meta, base, svg, math';
const BAD_URL = /^\s*(javascript|vbscript|data):/i;

/**
 * A second, independent pass over DOMPurify's output (defence in depth, and for DOM
 * implementations where DOMPurify degrades): drops active elements, event handlers and
 * script URLs.
 */
function harden(root: DocumentFragment): void {
  root.querySelectorAll(BLOCKED).forEach((el) => el.remove());
  root.querySelectorAll('*').forEach((el) => {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      const isUrl =
        name === 'href' ||
        name === 'src' ||
        name === 'xlink:href' ||
        name === 'action' ||
        name === 'formaction';
      const dataImage = name === 'src' && /^\s*data:image\/(png|jpeg|gif|webp);/i.test(attr.value);
      if (
        name.startsWith('on') ||
        name === 'style' ||
        name === 'srcdoc' ||
        (isUrl && BAD_URL.test(attr.value) && !dataImage)
      )
        el.removeAttribute(attr.name);
    }
  });
}
