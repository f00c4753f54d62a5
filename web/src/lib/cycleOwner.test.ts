import { cycleOwner, nextCycle, ownerKey, ownerParams } from './cycleOwner';

const p = (id: string, key: string, archived = false, former_keys: string[] = []) => ({
  id,
  key,
  former_keys,
  name: key.toLowerCase(),
  archived,
});
const projects = [p('P0', 'OLD', true), p('P1', 'WEB', false, ['SITE']), p('P2', 'API')];
const teams = [{ id: 'T1', name: 'Platform' }];
const q = (s: string) => new URLSearchParams(s);

describe("a cycles page's owner", () => {
  it('is the team the URL names, with the team query the API takes', () => {
    const o = cycleOwner(q('team=T1'), projects, teams);
    expect(o).toMatchObject({
      kind: 'team',
      id: 'T1',
      name: 'Platform',
      query: { team: 'T1' },
      pick: 'team:T1',
    });
    expect(ownerKey(o!)).toBe('team:T1');
  });

  it('is the project the URL names by key, former key or id', () => {
    for (const s of ['project=WEB', 'project=site', 'project=P1'])
      expect(cycleOwner(q(s), projects, teams)).toMatchObject({
        kind: 'project',
        id: 'P1',
        query: { project: 'P1' },
        pick: 'WEB',
      });
    expect(ownerKey(cycleOwner(q('project=WEB'), projects, teams)!)).toBe('P1');
  });

  it('falls back to the first active project for no owner, an unknown team or project', () => {
    for (const s of ['', 'team=T9', 'project=NOPE']) expect(cycleOwner(q(s), projects, teams)?.id).toBe('P1');
    expect(cycleOwner(q('team=T1'), [], undefined)).toBeUndefined();
  });

  it("turns the picker's values into URLs", () => {
    expect(ownerParams('team:T1')).toEqual({ team: 'T1' });
    expect(ownerParams('WEB')).toEqual({ project: 'WEB' });
  });

  it("proposes the two weeks after the owner's last cycle", () => {
    expect(nextCycle({ ends_on: '2026-12-06' }, 3)).toEqual({
      name: 'Cycle 3',
      starts_on: '2026-12-07',
      ends_on: '2026-12-20',
    });
    expect(nextCycle(undefined, 1, new Date('2026-11-30T12:00:00Z'))).toEqual({
      name: 'Cycle 1',
      starts_on: '2026-11-30',
      ends_on: '2026-12-13',
    });
  });
});
