import { joinPages, nextLink } from './audit';

describe('the audit export', () => {
  it('finds the next link', () => {
    expect(nextLink('</v1/audit/export?format=csv&cursor=abc>; rel="next"')).toBe(
      '/v1/audit/export?format=csv&cursor=abc',
    );
    expect(nextLink('<a>; rel="prev", <b>; rel="next"')).toBe('b');
    expect(nextLink(null)).toBeUndefined();
    expect(nextLink('<a>; rel="prev"')).toBeUndefined();
  });

  it('joins CSV answers under one header and JSON answers into one array', () => {
    expect(joinPages('csv', ['at,action\r\n1,a\r\n', 'at,action\r\n2,b\r\n'])).toBe(
      'at,action\r\n1,a\r\n2,b\r\n',
    );
    expect(JSON.parse(joinPages('json', ['[{"a":1}]\n', '[{"a":2}]\n']))).toEqual([{ a: 1 }, { a: 2 }]);
  });
});
