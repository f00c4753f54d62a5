// @vitest-environment jsdom
import { fireEvent, render, screen, within } from '@testing-library/react';
import { ChartPickers } from './ChartPickers';
import { ChartCard } from './charts';

describe('ChartCard', () => {
  const rows = [
    { day: '2026-11-30', scope: 6, completed: 3 },
    { day: '2026-12-11', scope: 6, completed: undefined },
  ];

  it('is a region named by its title with its controls, a CSV link of its rows and the data table', () => {
    render(
      <ChartCard
        id="burn-up"
        title="Burn-up (points)"
        kind="line"
        data={rows}
        x="day"
        xLabel="Day"
        series={[
          { key: 'scope', label: 'Scope' },
          { key: 'completed', label: 'Completed' },
        ]}
        controls={<button type="button">a control</button>}
        note="From the report."
      />,
    );
    const card = screen.getByRole('region', { name: 'Burn-up (points)' });
    within(card).getByRole('button', { name: 'a control' });
    const csv = within(card).getByRole('link', { name: 'Burn-up (points): download CSV' });
    expect(csv.getAttribute('download')).toBe('burn-up.csv');
    expect(decodeURIComponent(csv.getAttribute('href')!.split(',').slice(1).join(','))).toBe(
      'Day,Scope,Completed\r\n2026-11-30,6,3\r\n2026-12-11,6,\r\n',
    );
    const table = within(card).getByRole('table', { name: 'Burn-up (points) data', hidden: true });
    const cells = within(table)
      .getAllByRole('row', { hidden: true })
      .map((r) => r.textContent);
    expect(cells).toEqual(['DayScopeCompleted', '2026-11-3063', '2026-12-116']);
    within(card).getByText('From the report.');
  });

  it('says so when there is no data, and offers no table', () => {
    render(
      <ChartCard id="v" title="Velocity" data={[]} x="day" xLabel="Day" series={[]} empty="Nothing yet." />,
    );
    screen.getByText('Nothing yet.');
    expect(screen.queryByRole('table', { hidden: true })).toBeNull();
  });
});

describe('ChartPickers', () => {
  it('labels the range, bucket and choices and reports each change', () => {
    const changes: string[] = [];
    render(
      <ChartPickers
        range={{ from: '2026-11-01', onChange: (k, v) => changes.push(`${k}=${v}`) }}
        bucket={{ value: 'day', onChange: (v) => changes.push(`bucket=${v}`) }}
        choices={[
          {
            label: 'Team',
            value: 't1',
            options: [
              { value: 't1', label: 'Web' },
              { value: 't2', label: 'API' },
            ],
            onChange: (v) => changes.push(`team=${v}`),
          },
        ]}
      />,
    );
    expect((screen.getByLabelText('From') as HTMLInputElement).value).toBe('2026-11-01');
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-11-30' } });
    fireEvent.change(screen.getByLabelText('Per'), { target: { value: 'week' } });
    fireEvent.change(screen.getByLabelText('Team'), { target: { value: 't2' } });
    expect(changes).toEqual(['to=2026-11-30', 'bucket=week', 'team=t2']);
  });
});
