// @vitest-environment jsdom
import { render } from '@testing-library/react';
import Markdown from './Markdown';

function html(md: string): string {
  const { container } = render(<Markdown>{md}</Markdown>);
  return container.innerHTML;
}

describe('Markdown is sanitized', () => {
  it('renders Markdown', () => {
    const out = html('# Title\n\n**bold** and `code`\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(out).toContain('<h1');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<code>code</code>');
    expect(out).toContain('<table>');
  });

  it.each([
    ['<script>alert(1)</script>', '<script'],
    ['<img src=x onerror="alert(1)">', 'onerror'],
    ['[click](javascript:alert(1))', 'javascript:'],
    ['<a href="javascript:alert(1)">x</a>', 'javascript:'],
    ['<iframe src="https://evil.example"></iframe>', '<iframe'],
    ['![x](data:image/svg+xml;base64,PHN2Zz4=)', 'data:'],
    ['<div style="position:fixed">x</div>', 'style='],
  ])('%s leaves no %s', (md, bad) => {
    expect(html(md).toLowerCase()).not.toContain(bad);
  });

  it('links open safely in a new tab', () => {
    const out = html('[docs](https://example.com/docs)');
    expect(out).toContain('href="https://example.com/docs"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });

  it('ids cannot clobber the page', () => {
    expect(html('<h2 id="root">x</h2>')).not.toContain('id="root"');
  });

  it.each([
    ['![pixel](https://tracker.example/p.gif?u=1)', 'tracker.example'],
    ['<img src="https://tracker.example/p.gif">', 'tracker.example'],
    ['[![badge](https://tracker.example/b.svg)](https://example.com)', 'tracker.example'],
    ['![ref][p]\n\n[p]: https://tracker.example/r.png', 'tracker.example'],
  ])('%s loads no image', (md) => {
    const { container } = render(<Markdown>{md}</Markdown>);
    expect(container.querySelectorAll('img')).toHaveLength(0);
  });

  it('an image becomes a link naming its host, opened only on request', () => {
    const { container } = render(<Markdown>{'![screenshot](https://cdn.example/s.png)'}</Markdown>);
    const a = container.querySelector('a.md-image');
    expect(a?.getAttribute('href')).toBe('https://cdn.example/s.png');
    expect(a?.textContent).toBe('Image: screenshot (cdn.example)');
    expect(a?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
  });
});
