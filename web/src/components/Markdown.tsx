// Issue descriptions and comments are Markdown written by users: rendered with
// react-markdown (no raw HTML is ever parsed) and then sanitized with GitHub's
// schema (rehype-sanitize), so no script, event handler or javascript: URL can
// reach the page, and ids are prefixed so content cannot clobber the app's.
// Images are never loaded from the Markdown: a remote image is a tracking
// pixel (whoever hosts it learns each viewer's address, browser and when they
// read the issue), so ![alt](url) renders as a link to the image that the
// viewer may open; files belong in the issue's attachments, which the app
// shows itself (docs/web.md, "Markdown").
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';

const schema = {
  ...defaultSchema,
  protocols: { ...defaultSchema.protocols, href: ['http', 'https', 'mailto'], src: ['https'] },
};

/** The host an image link points at, shown so the viewer knows where it leads. */
function hostOf(src: string): string {
  try {
    return new URL(src).host;
  } catch {
    return '';
  }
}

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ src, alt }) => {
    const href = typeof src === 'string' ? src : '';
    const label = `Image${alt ? `: ${alt}` : ''}${hostOf(href) ? ` (${hostOf(href)})` : ''}`;
    if (!href) return <span className="md-image">{label}</span>;
    return (
      <a
        href={href}
        className="md-image"
        target="_blank"
        rel="noopener noreferrer nofollow"
        referrerPolicy="no-referrer"
      >
        {label}
      </a>
    );
  },
};

export default function Markdown({ children }: { children: string }) {
  return (
    <div className="prose-issue">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[[rehypeSanitize, schema]]}
        components={components}
      >
        {children}
      </ReactMarkdown>
    </div>
  );
}
