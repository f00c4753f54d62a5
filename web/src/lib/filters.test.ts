import { activeFilterCount, apiQuery, emptyFilters, formatFilters, parseFilters } from './filters';

const parse = (qs: string) => parseFilters(new URLSearchParams(qs));

describe('filters <-> URL', () => {
  it('reads a shared view from its query string', () => {
    const f = parse(
      'status=open,in_progress&assignee=me&priority=high&label=l1&label=l2&due=overdue&sort=priority&order=asc&q=login',
    );
    expect(f).toEqual({
      ...emptyFilters,
      status: ['open', 'in_progress'],
      assignee: ['me'],
      priority: ['high'],
      label: ['l1', 'l2'],
      due: 'overdue',
      sort: 'priority',
      order: 'asc',
      q: 'login',
    });
  });

  it('round-trips: format(parse(x)) is stable and leaves defaults out', () => {
    const qs = 'status=open%2Cclosed&assignee=me%2Cnone&team=mine&type=bug&due=week&sort=due';
    const once = formatFilters(parse(qs)).toString();
    expect(formatFilters(parse(once)).toString()).toBe(once);
    expect(formatFilters(emptyFilters).toString()).toBe('');
    expect(formatFilters({ ...emptyFilters, sort: 'updated', order: 'desc' }).toString()).toBe('');
  });

  it('drops unknown values and malformed ids instead of failing', () => {
    const f = parse(
      'status=open,Bo-gus!,qa_2&priority=extreme&type=bug,bug&assignee=<script>,u-1&sort=chaos&due=someday',
    );
    expect(f.status).toEqual(['open', 'qa_2']); // a custom status id is kept, a malformed one dropped
    expect(f.priority).toEqual([]);
    expect(f.type).toEqual(['bug']);
    expect(f.assignee).toEqual(['u-1']);
    expect(f.sort).toBe('updated');
    expect(f.due).toBeUndefined();
  });

  it('counts active filters', () => {
    expect(activeFilterCount(parse('status=open,closed&due=overdue&q=x'))).toBe(3);
  });
});

describe('filters -> API query', () => {
  const today = new Date(2026, 0, 15);

  it('sends list filters, sort and order to GET /v1/issues', () => {
    expect(apiQuery(parse('status=open&assignee=me&sort=priority'), today)).toEqual({
      status: 'open',
      assignee: 'me',
      sort: 'priority',
      order: 'desc',
    });
  });

  it('turns due shortcuts into the API date filters', () => {
    expect(apiQuery(parse('due=overdue'), today).overdue).toBe('true');
    expect(apiQuery(parse('due=today'), today).due_before).toBe('2026-01-15');
    expect(apiQuery(parse('due=week'), today).due_before).toBe('2026-01-22');
  });

  it('a text search goes to /v1/search with the filters and no sort', () => {
    const q = apiQuery(parse('q=%20crash%20&priority=urgent'), today);
    expect(q).toEqual({ q: 'crash', priority: 'urgent' });
  });
});
